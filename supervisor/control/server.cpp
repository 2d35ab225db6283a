#include "control/server.h"
#include "control/protocol.h"
#include "files/private_dir.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <cstring>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace svd::control {

std::string encode_line(const nlohmann::json& message) {
    std::string line = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line += '\n';
    return line;
}

namespace {

struct WriteRequest {
    uv_write_t request;
    std::string data;
    std::shared_ptr<Client> client;
};

void alloc_buffer(uv_handle_t*, size_t, uv_buf_t* buf) {
    static char buffer[64 * 1024];
    buf->base = buffer;
    buf->len = sizeof buffer;
}

} // namespace

Client::Client(uv_loop_t* loop, Server* server) : server_(server) {
    uv_pipe_init(loop, handle_.make(), 0);
    handle_->data = this;
}

Client::~Client() {
    // Only reached once nobody holds the client: it is out of the server's map.
    server_ = nullptr;
    close_handle();
}

void Client::close_handle() {
    if (closed_) return;
    closed_ = true;
    // Writes still queued are cancelled; their requests hold the Client, not the handle.
    handle_.reset();
}

void Client::close_now() {
    if (closed_) return;
    auto self = shared_from_this(); // keeps us alive while the server forgets us
    close_handle();
    if (server_) server_->forget(this);
    if (on_close) {
        auto callback = std::move(on_close);
        on_close = nullptr;
        callback();
    }
}

void Client::send(const nlohmann::json& message) {
    if (closed_) return;
    if (unanswered > 0 && !streaming) --unanswered;
    // A client that stopped reading (a `tail -f` suspended with Ctrl-Z) must
    // not make svd hold everything a program writes: past this, let it go.
    constexpr std::size_t kMaxQueuedBytes = 8 << 20;
    if (uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(handle_.get())) > kMaxQueuedBytes) {
        close_now();
        return;
    }
    auto* write = new WriteRequest;
    write->data = encode_line(message);
    write->client = shared_from_this();
    uv_buf_t buf = uv_buf_init(write->data.data(), static_cast<unsigned>(write->data.size()));
    ++pending_writes_;
    int rc = uv_write(&write->request, reinterpret_cast<uv_stream_t*>(handle_.get()), &buf, 1,
                      [](uv_write_t* request, int status) {
                          auto* write = reinterpret_cast<WriteRequest*>(request);
                          auto client = std::move(write->client);
                          delete write;
                          --client->pending_writes_;
                          if (status < 0 || (client->finishing_ && client->pending_writes_ == 0))
                              client->close_now();
                      });
    if (rc < 0) {
        --pending_writes_;
        delete write;
        close_now();
    }
}

void Client::finish() {
    finishing_ = true;
    if (pending_writes_ == 0) close_now();
}

Server::Server(uv_loop_t* loop, RequestHandler handler)
    : loop_(loop), handler_(std::move(handler)), own_uid_(getuid()) {}

Server::~Server() { close(); }

bool Server::listen(const std::string& path, std::string& error) {
    auto slash = path.rfind('/');
    // Created 0700 when missing; an existing one (socket = "${home}/svd.sock")
    // is checked, never chmod'ed: svd did not make it.
    if (slash != std::string::npos && slash > 0 &&
        !files::make_own_dir(path.substr(0, slash), 0700, "the control socket's directory", error))
        return false;
    // A leftover socket from an svd that died is replaced; a live svd is
    // kept out earlier by the lock file, so this cannot steal its socket.
    struct stat info {};
    if (lstat(path.c_str(), &info) == 0) {
        if (!S_ISSOCK(info.st_mode)) {
            error = path + " exists and is not a socket";
            return false;
        }
        unlink(path.c_str());
    }
    uv_pipe_init(loop_, listener_.make(), 0);
    listener_->data = this;
    mode_t old_mask = umask(0177); // the socket is born 0600: no window where others may connect
    int rc = uv_pipe_bind(listener_.get(), path.c_str());
    umask(old_mask);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_.get()), 512, on_connection);
    if (rc < 0) {
        error = "cannot listen on " + path + ": " + uv_strerror(rc);
        close();
        return false;
    }
    chmod(path.c_str(), 0600);
    path_ = path;
    return true;
}

bool Server::adopt(int fd, const std::string& path, std::string& error) {
    uv_pipe_init(loop_, listener_.make(), 0);
    listener_->data = this;
    int rc = uv_pipe_open(listener_.get(), fd);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_.get()), 512, on_connection);
    if (rc < 0) {
        error = "cannot take over the control socket " + path + ": " + uv_strerror(rc);
        close();
        return false;
    }
    path_ = path;
    return true;
}

int Server::listener_fd() const {
    uv_os_fd_t fd = -1;
    if (!listener_ || uv_fileno(listener_.base(), &fd) != 0) return -1;
    return fd;
}

void Server::close() {
    if (listener_) {
        listener_.reset();
        if (!path_.empty()) unlink(path_.c_str());
    }
    auto clients = std::move(clients_);
    clients_.clear();
    for (auto& [raw, client] : clients) {
        client->server_ = nullptr;
        client->close_now();
    }
}

void Server::set_max_clients(int count) {
    std::size_t cap = count > 0 ? static_cast<std::size_t>(count) : 1;
    struct rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
        cap = std::min<std::size_t>(cap, std::max<std::size_t>(4, static_cast<std::size_t>(limit.rlim_cur / 4)));
    max_clients_ = cap;
}

void Server::on_connection(uv_stream_t* stream, int status) {
    if (status < 0 || !stream->data) return;
    static_cast<Server*>(stream->data)->accept_one();
}

void Server::accept_one() {
    auto client = std::make_shared<Client>(loop_, this);
    if (uv_accept(reinterpret_cast<uv_stream_t*>(listener_.get()), reinterpret_cast<uv_stream_t*>(client->handle())) != 0)
        return;
    clients_[client.get()] = client;
    if (clients_.size() > max_clients_) {
        nlohmann::json reply = error_reply("too many clients: svd serves " + std::to_string(max_clients_) +
                                           " at once ([svd] max_clients); try again when others are done");
        reply["refused"] = true; // svctl: svd is not reachable (exit 3)
        client->send(reply);
        client->finish();
        return;
    }
    uv_os_fd_t fd = -1;
    uv_fileno(reinterpret_cast<uv_handle_t*>(client->handle()), &fd);
    struct ucred peer {};
    socklen_t length = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 || peer.uid != own_uid_) {
        // Once per svd: a stranger retrying in a loop must not fill svd.log.
        if (!refused_uid_logged_)
            spdlog::warn("control: refused a client with uid {} (only uid {} may use svd; further refusals "
                         "are not logged)", peer.uid, own_uid_);
        refused_uid_logged_ = true;
        nlohmann::json reply = error_reply("permission denied: this svd belongs to uid " + std::to_string(own_uid_));
        reply["refused"] = true; // svctl: svd is not reachable (exit 3), as svctl(1) says
        client->send(reply);
        client->finish();
        return;
    }
    uv_read_start(reinterpret_cast<uv_stream_t*>(client->handle()), alloc_buffer, on_read);
}

void Server::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    auto* raw = static_cast<Client*>(stream->data);
    if (!raw || !raw->server_) return;
    auto found = raw->server_->clients_.find(raw);
    if (found == raw->server_->clients_.end()) return;
    std::shared_ptr<Client> client = found->second;
    if (nread < 0) {
        client->close_now();
        return;
    }
    raw->server_->handle_bytes(client, buf->base, static_cast<std::size_t>(nread));
}

void Server::handle_bytes(const std::shared_ptr<Client>& client, const char* data, std::size_t size) {
    client->buffer.append(data, size);
    std::size_t start = 0;
    for (;;) {
        std::size_t newline = client->buffer.find('\n', start);
        if (newline == std::string::npos) break;
        std::string line = client->buffer.substr(start, newline - start);
        start = newline + 1;
        if (client->streaming) continue; // a streaming client only listens
        ++client->unanswered;
        handler_(client, line);
        if (client->closed()) return;
    }
    client->buffer.erase(0, start);
    if (client->buffer.size() > kMaxRequestBytes) {
        client->buffer.clear();
        uv_read_stop(reinterpret_cast<uv_stream_t*>(client->handle()));
        client->send(error_reply("request too long (limit " + std::to_string(kMaxRequestBytes) + " bytes)"));
        client->finish();
    }
}

void Server::forget(Client* client) { clients_.erase(client); }

int Server::fd_of(const Client& client) {
    uv_os_fd_t fd = -1;
    if (client.closed_ || !client.handle_ || uv_fileno(client.handle_.base(), &fd) != 0) return -1;
    return fd;
}

std::vector<Server::HandedClient> Server::clients_for_handover(const std::vector<const Client*>& waiting) const {
    std::vector<HandedClient> out;
    for (const auto& [raw, client] : clients_) {
        bool is_waiting = std::find(waiting.begin(), waiting.end(), raw) != waiting.end();
        if (!is_waiting && (client->unanswered > 0 || client->streaming || client->finishing_)) continue;
        int fd = fd_of(*client);
        if (fd >= 0) out.push_back({fd, client->buffer});
    }
    return out;
}

std::shared_ptr<Client> Server::adopt_client(const HandedClient& handed) {
    auto client = std::make_shared<Client>(loop_, this);
    if (uv_pipe_open(client->handle(), handed.fd) != 0) {
        ::close(handed.fd);
        return nullptr;
    }
    fcntl(handed.fd, F_SETFD, FD_CLOEXEC);
    clients_[client.get()] = client;
    client->buffer = handed.buffer;
    uv_read_start(reinterpret_cast<uv_stream_t*>(client->handle()), alloc_buffer, on_read);
    return client;
}

} // namespace svd::control
