#include "config/command_split.h"

namespace svd::config {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool escapable_in_double_quotes(char c) { return c == '"' || c == '\\' || c == '$' || c == '`'; }

void fail(std::string* error, std::size_t* error_offset, std::size_t offset, std::string message) {
    *error = std::move(message);
    if (error_offset) *error_offset = offset;
}

} // namespace

std::optional<std::vector<std::string>> split_command(std::string_view command, std::string* error,
                                                      std::size_t* error_offset) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false; // distinguishes "" (an empty word) from nothing
    std::size_t i = 0;
    while (i < command.size()) {
        char c = command[i];
        if (is_blank(c)) {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
            ++i;
        } else if (c == '\'') {
            std::size_t close = command.find('\'', i + 1);
            if (close == std::string_view::npos) {
                fail(error, error_offset, i,
                     "unterminated single quote at offset " + std::to_string(i));
                return std::nullopt;
            }
            word.append(command.substr(i + 1, close - i - 1));
            in_word = true;
            i = close + 1;
        } else if (c == '"') {
            std::size_t open = i++;
            bool closed = false;
            while (i < command.size()) {
                char d = command[i];
                if (d == '"') {
                    closed = true;
                    ++i;
                    break;
                }
                if (d == '\\' && i + 1 < command.size() && escapable_in_double_quotes(command[i + 1])) {
                    word += command[i + 1];
                    i += 2;
                } else {
                    word += d;
                    ++i;
                }
            }
            if (!closed) {
                fail(error, error_offset, open,
                     "unterminated double quote at offset " + std::to_string(open));
                return std::nullopt;
            }
            in_word = true;
        } else if (c == '\\') {
            if (i + 1 >= command.size()) {
                fail(error, error_offset, i,
                     "trailing backslash at offset " + std::to_string(i) + " escapes nothing");
                return std::nullopt;
            }
            // As in sh, backslash-newline joins lines and adds nothing.
            if (command[i + 1] != '\n') {
                word += command[i + 1];
                in_word = true;
            }
            i += 2;
        } else {
            word += c;
            in_word = true;
            ++i;
        }
    }
    if (in_word) words.push_back(std::move(word));
    return words;
}

std::string join_command(const std::vector<std::string>& argv) {
    std::string out;
    for (const std::string& word : argv) {
        if (!out.empty()) out += ' ';
        bool plain = !word.empty();
        for (char c : word)
            if (is_blank(c) || c == '\'' || c == '"' || c == '\\') plain = false;
        if (plain) {
            out += word;
            continue;
        }
        // Single quotes hold anything but a single quote, which becomes '\''.
        out += '\'';
        for (char c : word) {
            if (c == '\'') out += "'\\''";
            else out += c;
        }
        out += '\'';
    }
    return out;
}

} // namespace svd::config
