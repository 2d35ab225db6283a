#pragma once
// One way to write "a, b, c": join(names, ", "), or with a conversion,
// join(codes, " ", [](int code) { return std::to_string(code); }).
//
// It replaces the hand-written `text += (text.empty() ? "" : ", ") + item`
// loops, which were easy to get subtly wrong (an empty first item swallowed
// the separator) and which GCC 12 flags with false -Wrestrict warnings.
#include <string>
#include <string_view>
#include <utility>

namespace svd::text {

struct AsText {
    template <typename T>
    std::string_view operator()(const T& item) const { return item; }
};

template <typename Range, typename ToText = AsText>
std::string join(const Range& items, std::string_view separator, ToText&& to_text = {}) {
    std::string text;
    bool first = true;
    for (const auto& item : items) {
        if (!first) text.append(separator);
        first = false;
        text.append(std::string_view(to_text(item)));
    }
    return text;
}

}  // namespace svd::text
