// loop/: small owners for libuv handles, so no other file writes a close
// callback by hand.
//
// A libuv handle may only be freed in its close callback, after uv_close:
// the loop still refers to it until then. `Handle<T>` allocates the handle,
// and its destructor (or reset()) calls uv_close with a callback that frees
// it, so whoever owns a Handle owns the handle's whole life.
#pragma once

#include <utility>
#include <uv.h>

namespace svd::loop {

template <typename T> class Handle {
public:
    Handle() = default;
    ~Handle() { reset(); }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    Handle(Handle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    Handle& operator=(Handle&& other) noexcept {
        if (this != &other) {
            reset();
            handle_ = std::exchange(other.handle_, nullptr);
        }
        return *this;
    }

    /// A new, uninitialised handle (closing the previous one): pass get() to uv_T_init.
    T* make() {
        reset();
        handle_ = new T{};
        return handle_;
    }
    /// Closes the handle; it is freed once the loop has let go of it.
    void reset() {
        if (!handle_) return;
        auto* base = reinterpret_cast<uv_handle_t*>(std::exchange(handle_, nullptr));
        base->data = nullptr; // a callback still queued must find no owner
        if (uv_is_closing(base)) return; // closed by someone else; their callback frees it
        uv_close(base, [](uv_handle_t* closed) { delete reinterpret_cast<T*>(closed); });
    }
    T* get() const { return handle_; }
    T* operator->() const { return handle_; }
    explicit operator bool() const { return handle_ != nullptr; }
    uv_handle_t* base() const { return reinterpret_cast<uv_handle_t*>(handle_); }

private:
    T* handle_ = nullptr;
};

/// A timer owned by whoever holds it.
using Timer = Handle<uv_timer_t>;
/// A poll on an fd owned elsewhere.
using Poll = Handle<uv_poll_t>;

} // namespace svd::loop
