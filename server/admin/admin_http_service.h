// The operator console's connections (docs/ADMIN.md, "Limits"), in the admin thread: the listener
// with its connection cap, each connection's reader, deadlines and answer, and one coarse timer
// that sweeps every deadline. It owns every bound of the admin port; the routes (AdminServer) see
// only whole requests that passed them.
#pragma once

#include "server/admin/admin_http.h"

#include <QObject>
#include <QSet>
#include <QSslConfiguration>
#include <QTimer>

#include <functional>

class QTcpServer;
class QTcpSocket;

namespace lottery::server {

class AdminHttpConnection;

class AdminHttpService : public QObject
{
    Q_OBJECT
public:
    using Handler = std::function<AdminHttpResponse(const AdminHttpRequest &)>;

    // How often the deadlines are checked: a deadline fires at most this late.
    static constexpr int kSweepMs = 250;

    AdminHttpService(const AdminHttpLimits &limits, Handler handler, LogLimiter &log);
    ~AdminHttpService() override;

    // In the service's thread. False with *error when it cannot listen.
    bool listen(const QHostAddress &address, quint16 port, bool tls,
        const QSslConfiguration &tlsConfiguration, QString *error);
    quint16 serverPort() const;
    const AdminHttpLimits &limits() const { return m_limits; }
    AdminHttpStats stats() const;

    // For the connections and the listener (same thread).
    AdminHttpResponse handle(const AdminHttpRequest &request);
    // Counts a refusal and logs it (rate-limited); status 0: closed without an answer.
    void refused(AdminRefusal refusal, const QHostAddress &peer, int status,
        const QByteArray &message, bool log = true);
    void connectionFinished(AdminHttpConnection *connection);
    int openSockets() const;

private:
    void takeConnections();
    void sweep();

    const AdminHttpLimits m_limits;
    const Handler m_handler;
    LogLimiter &m_log;
    QTcpServer *m_listener = nullptr; // a child; the sockets are its children
    bool m_tls = false;
    QSet<AdminHttpConnection *> m_connections; // owned
    QTimer m_sweep {this}; // a child: it moves to the admin thread with the service
    bool m_acceptPaused = false; // accept() failed (EMFILE): resumed at the next sweep
    AdminHttpStats m_stats;
};

} // namespace lottery::server
