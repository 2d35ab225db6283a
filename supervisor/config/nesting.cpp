#include "config/nesting.h"

#include <array>

namespace svd::config {
namespace {

/// Scans TOML text, tracking only what decides depth. A node's depth is the
/// number of keys and indices from the root to it: `[a.b]` puts b at 2,
/// `c.d = 1` under it puts d at 4, `e = [[1]]` puts the 1 at depth(e) + 2.
class NestingScanner {
public:
    NestingScanner(std::string_view text, int max_depth) : text_(text), max_(max_depth) {}

    std::optional<NestingPosition> run() {
        while (pos_ < text_.size() && !found_) step();
        if (found_) return where_;
        return std::nullopt;
    }

private:
    enum class State { Key, Value };
    struct Open {
        char kind;  ///< '[' or '{'
        int depth;  ///< of the array or inline table itself
    };
    static constexpr std::size_t kStackSize = 64;

    void step() {
        char c = text_[pos_];
        if (c == '\n') {
            newline();
            if (stack_used_ == 0) begin_line();
            return;
        }
        if (c == '#') {
            while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
            return;
        }
        if (c == '"' || c == '\'') {
            if (state_ == State::Key) start_key_part();
            skip_string(c);
            return;
        }
        if (state_ == State::Key) key_char(c);
        else value_char(c);
    }

    void key_char(char c) {
        if (c == ' ' || c == '\t' || c == '\r') {
            ++pos_;
        } else if (c == '[' && stack_used_ == 0 && parts_ == 0) {
            header();
        } else if (c == '.') {
            ++pos_;
            dot_pending_ = true;
        } else if (c == '=') {
            ++pos_;
            state_ = State::Value;
            value_depth_ = key_base_ + parts_;
        } else if (c == '}' && stack_used_ > 0) {
            ++pos_;
            close_bracket(); // an empty (or trailing-comma) inline table
        } else {
            start_key_part();
            ++pos_;
        }
    }

    /// A key part starts: the first of a key, or one after a dot.
    void start_key_part() {
        if (parts_ == 0 || dot_pending_) {
            ++parts_;
            dot_pending_ = false;
            check(key_base_ + parts_);
        }
    }

    void value_char(char c) {
        if (c == '[' || c == '{') {
            if (stack_used_ == kStackSize) {
                mark(); // deeper than any limit this scanner is given
                return;
            }
            stack_[stack_used_++] = Open{c, value_depth_};
            ++pos_;
            if (c == '[') {
                value_depth_ += 1;
                check(value_depth_);
            } else {
                enter_key(value_depth_);
            }
        } else if (c == ']' || c == '}') {
            ++pos_;
            if (stack_used_ > 0) close_bracket();
        } else if (c == ',') {
            ++pos_;
            if (stack_used_ == 0) return;
            const Open& top = stack_[stack_used_ - 1];
            if (top.kind == '{') enter_key(top.depth);
            else value_depth_ = top.depth + 1;
        } else {
            ++pos_;
        }
    }

    void close_bracket() {
        --stack_used_;
        state_ = State::Value;
        // After the closing bracket, a ',' decides what comes next.
        value_depth_ = stack_used_ > 0 ? stack_[stack_used_ - 1].depth + 1 : 0;
    }

    void enter_key(int base) {
        state_ = State::Key;
        key_base_ = base;
        parts_ = 0;
        dot_pending_ = false;
    }

    void begin_line() { enter_key(header_depth_); }

    /// `[a.b.c]` or `[[a.b]]`: its depth becomes the base of the keys below it.
    void header() {
        ++pos_;
        if (pos_ < text_.size() && text_[pos_] == '[') ++pos_;
        int parts = 0;
        bool dot_pending = true;
        while (pos_ < text_.size() && text_[pos_] != ']' && text_[pos_] != '\n' && !found_) {
            char c = text_[pos_];
            if (c == '.') {
                dot_pending = true;
                ++pos_;
            } else if (c == ' ' || c == '\t') {
                ++pos_;
            } else {
                if (dot_pending) {
                    ++parts;
                    dot_pending = false;
                    check(parts);
                }
                if (c == '"' || c == '\'') skip_string(c);
                else ++pos_;
            }
        }
        header_depth_ = parts;
        while (pos_ < text_.size() && text_[pos_] == ']') ++pos_;
        // What follows on the line is a comment or a syntax error.
        key_base_ = header_depth_;
        parts_ = 1; // no header may start again before the next line
    }

    /// Skips a string starting at pos_ (quote is '"' or '\''), single- or
    /// multi-line, counting the lines it spans.
    void skip_string(char quote) {
        bool multi = text_.compare(pos_, 3, std::string_view(quote == '"' ? "\"\"\"" : "'''")) == 0;
        pos_ += multi ? 3 : 1;
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (c == '\\' && quote == '"') {
                // Skip the escaped character, but let a line-ending backslash's newline be counted.
                pos_ += pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n' ? 1 : 2;
                continue;
            }
            if (c == '\n') {
                if (!multi) return; // unterminated: toml++ says so
                newline();
                continue;
            }
            if (c == quote) {
                if (!multi) {
                    ++pos_;
                    return;
                }
                if (text_.compare(pos_, 3, std::string_view(quote == '"' ? "\"\"\"" : "'''")) == 0) {
                    pos_ += 3;
                    // """a"""" is legal: up to two more quotes belong to the string.
                    for (int extra = 0; extra < 2 && pos_ < text_.size() && text_[pos_] == quote; ++extra) ++pos_;
                    return;
                }
            }
            ++pos_;
        }
    }

    void newline() {
        ++pos_;
        ++line_;
        line_start_ = pos_;
    }

    void check(int depth) {
        if (depth > max_ && !found_) mark();
    }

    void mark() {
        found_ = true;
        where_ = NestingPosition{line_, static_cast<int>(pos_ - line_start_) + 1};
    }

    std::string_view text_;
    int max_;
    std::size_t pos_ = 0;
    int line_ = 1;
    std::size_t line_start_ = 0;
    State state_ = State::Key;
    int header_depth_ = 0;
    int key_base_ = 0;
    int parts_ = 0;
    bool dot_pending_ = false;
    int value_depth_ = 0;
    std::array<Open, kStackSize> stack_{};
    std::size_t stack_used_ = 0;
    bool found_ = false;
    NestingPosition where_;
};

} // namespace

std::optional<NestingPosition> find_excess_nesting(std::string_view text, int max_depth) {
    return NestingScanner(text, max_depth).run();
}

} // namespace svd::config
