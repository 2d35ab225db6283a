// The control socket: a UNIX stream socket in a 0700 directory, mode 0600,
// and every peer's uid checked with SO_PEERCRED, so that only svd's own user
// can drive it. Requests are framed as lines; each goes to the handler,
// which may answer at once or later (start waits for RUNNING).
#pragma once

#include "loop/handle.h"

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <uv.h>

namespace svd::control {

/// One connected client. Shared so a deferred reply can find out that the
/// client went away (closed() turns true) instead of writing to a freed handle.
class Server;

class Client : public std::enable_shared_from_this<Client> {
public:
    Client(uv_loop_t* loop, Server* server);
    ~Client();
    /// Queues one JSON line. Ignored once the client is closed.
    void send(const nlohmann::json& message);
    /// Closes after everything queued has been written.
    void finish();
    bool closed() const { return closed_; }
    /// Runs when the client disconnects (for streaming subscribers).
    std::function<void()> on_close;

    uv_pipe_t* handle() { return handle_.get(); }
    std::string buffer;        ///< bytes received, not yet a whole line
    bool streaming = false;    ///< a streaming reply is in progress: further requests are refused
    int unanswered = 0;        ///< requests dispatched and not yet replied to
    void close_now();

private:
    friend class Server;
    void close_handle();

    loop::Handle<uv_pipe_t> handle_;
    Server* server_;
    bool closed_ = false;
    bool finishing_ = false;
    std::size_t pending_writes_ = 0;
};

using RequestHandler = std::function<void(const std::shared_ptr<Client>&, const std::string& line)>;

class Server {
public:
    Server(uv_loop_t* loop, RequestHandler handler);
    ~Server();
    /// Binds and listens on `path` (a stale socket file is replaced). Creates the
    /// directory 0700 when missing. False and `error` on failure.
    [[nodiscard]] bool listen(const std::string& path, std::string& error);
    /// Listens on an already bound socket handed over across exec (svctl reload).
    [[nodiscard]] bool adopt(int fd, const std::string& path, std::string& error);
    /// At most `count` clients at once ([svd] max_clients), and never more
    /// than a quarter of the open-files limit, so that clients cannot take
    /// the fds that programs need to start. One more is answered "too many
    /// clients" and closed.
    void set_max_clients(int count);
    /// The listening fd, for the handover; -1 when not listening.
    int listener_fd() const;

    /// A connection handed across exec (svctl reload), with the part of a
    /// request line already read from it.
    struct HandedClient {
        int fd;
        std::string buffer;
    };
    /// For svctl reload: the clients the new image can go on serving, those
    /// with no request in progress and those in `waiting` (whose reload the
    /// new image answers). A client waiting on anything else is left out:
    /// its connection closes, which it reports, rather than wait forever.
    std::vector<HandedClient> clients_for_handover(const std::vector<const Client*>& waiting) const;
    /// The fd of `client`'s connection, -1 when closed.
    static int fd_of(const Client& client);
    /// Serves a connection handed over across exec; returns it.
    std::shared_ptr<Client> adopt_client(const HandedClient& handed);
    void close();

private:
    static void on_connection(uv_stream_t* server, int status);
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
    friend class Client;
    void accept_one();
    void handle_bytes(const std::shared_ptr<Client>& client, const char* data, std::size_t size);
    void forget(Client* client);

    uv_loop_t* loop_;
    RequestHandler handler_;
    loop::Handle<uv_pipe_t> listener_;
    std::string path_;
    uid_t own_uid_;
    std::size_t max_clients_ = 1024;
    bool refused_uid_logged_ = false;
    std::unordered_map<Client*, std::shared_ptr<Client>> clients_;
};

/// Serialises a message, replacing invalid UTF-8 (child output) instead of throwing.
std::string encode_line(const nlohmann::json& message);

} // namespace svd::control
