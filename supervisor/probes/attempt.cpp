#include "probes/attempt.h"

#include "config/units.h"
#include "probes/probes.h"

#include <csignal>
#include <memory>

namespace svd::probes {
namespace {

/// A write request that owns what it writes: the attempt may be gone before libuv is done with it.
struct WriteRequest {
    uv_write_t request{};
    std::string data;
};

} // namespace

Attempt::~Attempt() {
    if (connect_) connect_->data = nullptr;
}

void Attempt::finish(bool success, const std::string& detail) {
    owner.attempt_done(this, success, detail);
}

void Attempt::arm_timeout(uv_loop_t* loop, config::Millis timeout) {
    timeout_after_ = timeout;
    uv_timer_init(loop, timeout_.make());
    timeout_->data = this;
    uv_timer_start(
        timeout_.get(),
        [](uv_timer_t* timer) {
            auto* self = static_cast<Attempt*>(timer->data);
            if (!self) return;
            std::string after = config::human_duration(self->timeout_after_);
            if (self->pid > 0) {
                kill(-self->pid, SIGKILL);
                self->finish(false, "still running after " + after + ", killed");
                return;
            }
            self->finish(false, "no answer within " + after);
        },
        static_cast<std::uint64_t>(timeout.count()), 0);
}

void Attempt::connect_to(uv_loop_t* loop, const config::ProbeEndpoint& endpoint, bool http) {
    // The endpoint was checked at load; a failure here is svd's bug, still reported, never fatal.
    sockaddr_storage address{};
    int rc = endpoint.family == config::ProbeEndpoint::Family::V6
                 ? uv_ip6_addr(endpoint.host.c_str(), endpoint.port, reinterpret_cast<sockaddr_in6*>(&address))
                 : uv_ip4_addr(endpoint.host.c_str(), endpoint.port, reinterpret_cast<sockaddr_in*>(&address));
    if (rc != 0) {
        finish(false, "bad probe address " + endpoint.host + ": " + uv_strerror(rc));
        return;
    }
    uv_tcp_init(loop, tcp_.make());
    tcp_->data = this;
    http_ = http;
    if (http_)
        request_ = "GET " + endpoint.path + " HTTP/1.0\r\nHost: " + endpoint.host_header +
                   "\r\nUser-Agent: svd-probe\r\nConnection: close\r\n\r\n";
    connect_ = new uv_connect_t{};
    connect_->data = this;
    rc = uv_tcp_connect(connect_, tcp_.get(), reinterpret_cast<sockaddr*>(&address), [](uv_connect_t* request, int status) {
        std::unique_ptr<uv_connect_t> owned(request);
        auto* self = static_cast<Attempt*>(request->data);
        if (!self) return; // the attempt ended first (timed out, or svd is stopping)
        self->connect_ = nullptr;
        self->on_connected(status);
    });
    if (rc != 0) {
        delete connect_; // never queued: no callback will come
        connect_ = nullptr;
        finish(false, std::string("connect: ") + uv_strerror(rc));
    }
}

void Attempt::on_connected(int status) {
    if (status < 0) {
        finish(false, std::string("connect: ") + uv_strerror(status));
        return;
    }
    if (!http_) {
        finish(true, "connected");
        return;
    }
    auto* write = new WriteRequest;
    write->data = std::move(request_);
    uv_buf_t buf = uv_buf_init(write->data.data(), static_cast<unsigned>(write->data.size()));
    auto* stream = reinterpret_cast<uv_stream_t*>(tcp_.get());
    // A failed write shows as a failed read just below.
    if (uv_write(&write->request, stream, &buf, 1,
                 [](uv_write_t* request, int) { delete reinterpret_cast<WriteRequest*>(request); }) != 0)
        delete write;
    uv_read_start(
        stream,
        [](uv_handle_t*, size_t, uv_buf_t* buf) {
            static char buffer[4096]; // one loop thread; each chunk is copied out at once
            *buf = uv_buf_init(buffer, sizeof buffer);
        },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
            if (auto* self = static_cast<Attempt*>(stream->data)) self->on_read(nread, buf);
        });
}

void Attempt::on_read(ssize_t nread, const uv_buf_t* buf) {
    if (nread == 0) return; // EAGAIN: nothing yet
    if (nread > 0) response_.append(buf->base, static_cast<std::size_t>(nread));
    auto line_end = response_.find("\r\n");
    if (line_end == std::string::npos && nread > 0) return;
    // "HTTP/1.1 200 OK"
    std::string line = response_.substr(0, line_end);
    auto space = line.find(' ');
    int code = space == std::string::npos ? 0 : std::atoi(line.c_str() + space + 1);
    if (code) {
        finish(code >= 200 && code < 400, "HTTP " + std::to_string(code));
        return;
    }
    std::string why = nread < 0 && nread != UV_EOF ? std::string(": ") + uv_strerror(static_cast<int>(nread)) : "";
    finish(false, "no HTTP response" + why);
}

} // namespace svd::probes
