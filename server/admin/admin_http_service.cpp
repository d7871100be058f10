#include "server/admin/admin_http_service.h"

#include "common/log.h"

#include <QElapsedTimer>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <sys/socket.h>
#include <unistd.h>

namespace lottery::server {

namespace {

// Scrapers and browsers may arrive together (tests run 200 at once); the default of 50 would
// make the kernel drop SYNs and the clients retry a second later.
constexpr int kListenBacklog = 256;
// What Qt may read from the kernel for one connection before we take it: the kernel's buffer
// then fills and TCP stops the peer.
constexpr qint64 kSocketReadBuffer = 16 * 1024;
// Dropped after a refusal, at most, before the connection is cut.
constexpr qint64 kMaxLingerBytes = 1024 * 1024;
// TLS: how long the peer must send nothing before a closing connection sends its close_notify.
constexpr int kTlsQuietBeforeCloseMs = 50;

qint64 monotonicMs()
{
    static QElapsedTimer clock = [] {
        QElapsedTimer timer;
        timer.start();
        return timer;
    }();
    return clock.elapsed();
}

// The listener: past the cap a new connection is answered 503 (plain HTTP: a few bytes written
// straight to the descriptor, no socket object) or closed (TLS: no handshake is spent on it),
// before Qt builds anything for it. The sockets of QTcpServer and QSslServer are their children
// until deleted (TLS ones from the start of their handshake), so counting children counts them.
template<typename Listener> class CappedListener : public Listener
{
public:
    CappedListener(AdminHttpService &service, bool tls) : m_service(service), m_tls(tls) { }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        const int max = m_service.limits().maxConnections;
        if (m_service.openSockets() >= max) {
            const int fd = static_cast<int>(descriptor);
            sockaddr_storage peer {};
            socklen_t peerLength = sizeof peer;
            QHostAddress address;
            if (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &peerLength) == 0)
                address.setAddress(reinterpret_cast<const sockaddr *>(&peer));
            if (!m_tls) {
                const QByteArray answer
                    = serializeResponse(AdminHttpResponse::text(503,
                                            "503 service unavailable: " + QByteArray::number(max)
                                                + " admin connections open; try again\n"),
                        false, false, 1);
                // Non-blocking and small: the kernel takes it whole or not at all.
                [[maybe_unused]] const ssize_t sent = ::send(fd, answer.constData(),
                    static_cast<size_t>(answer.size()), MSG_DONTWAIT | MSG_NOSIGNAL);
                ::shutdown(fd, SHUT_WR);
            }
            ::close(fd);
            m_service.refused(AdminRefusal::ConnectionLimit, address, m_tls ? 0 : 503,
                QByteArray::number(max) + " admin connections open: refused");
            return;
        }
        Listener::incomingConnection(descriptor);
    }

private:
    AdminHttpService &m_service;
    const bool m_tls;
};

} // namespace

// One admin connection: reads one request at a time through an HttpRequestReader, answers it,
// and reads the next only once the answer is written (a peer that pipelines and never reads
// makes the server hold one answer, not one per request). Its deadlines are checked by the
// service's sweep.
class AdminHttpConnection : public QObject
{
public:
    AdminHttpConnection(QTcpSocket *socket, AdminHttpService &service)
        : m_socket(socket), m_service(service), m_reader(service.limits()),
          m_peer(socket->peerAddress()), m_tls(qobject_cast<QSslSocket *>(socket) != nullptr)
    {
        m_socket->setReadBufferSize(kSocketReadBuffer);
        m_since = monotonicMs();
        QObject::connect(m_socket, &QTcpSocket::readyRead, this, [this] { onReadyRead(); });
        QObject::connect(
            m_socket, &QTcpSocket::bytesWritten, this, [this](qint64) { onBytesWritten(); });
        QObject::connect(m_socket, &QTcpSocket::disconnected, this, [this] { finish(); });
        if (m_socket->bytesAvailable() > 0)
            onReadyRead();
    }

    ~AdminHttpConnection() override
    {
        if (m_socket) {
            m_socket->disconnect(this);
            m_socket->abort();
            m_socket->deleteLater();
        }
    }

    // Called by the service's timer.
    void sweep(qint64 now)
    {
        if (m_finished)
            return;
        if (m_socket->state() == QAbstractSocket::UnconnectedState) {
            finish();
            return;
        }
        const AdminHttpLimits &limits = m_service.limits();
        switch (m_state) {
        case State::Idle:
            if (now - m_since > limits.idleTimeoutMs) {
                // Only a connection that never asked anything is worth a log line: closing a
                // browser's or a scraper's idle keep-alive is routine.
                m_service.refused(AdminRefusal::IdleTimeout, m_peer, 0,
                    "no request for " + QByteArray::number(limits.idleTimeoutMs) + " ms",
                    m_requests == 0);
                finish();
            }
            break;
        case State::Reading:
            if (now - m_since > limits.requestTimeoutMs) {
                refuse(AdminRefusal::RequestTimeout, 408,
                    "request not complete within " + QByteArray::number(limits.requestTimeoutMs)
                        + " ms");
            }
            break;
        case State::Writing:
            if (now - m_since > limits.writeTimeoutMs) {
                m_service.refused(AdminRefusal::WriteTimeout, m_peer, 0,
                    "answer not read within " + QByteArray::number(limits.writeTimeoutMs) + " ms");
                finish();
            }
            break;
        case State::Closing:
            if (now - m_since > limits.lingerMs)
                finish();
            break;
        }
    }

    // Closes at once and leaves the service.
    void finish()
    {
        if (m_finished)
            return;
        m_finished = true;
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
        m_socket = nullptr;
        m_service.connectionFinished(this);
    }

private:
    enum class State { Idle, Reading, Writing, Closing };

    void onReadyRead()
    {
        if (m_finished)
            return;
        if (m_state == State::Closing) {
            // Read and dropped, so that closing does not reset the connection before the peer
            // has read the refusal; bounded in bytes here and in time by the sweep.
            char sink[16 * 1024];
            qint64 got = 0;
            bool dropped = false;
            while (m_socket && (got = m_socket->read(sink, sizeof sink)) > 0) {
                dropped = true;
                m_lingered += got;
                if (m_lingered > kMaxLingerBytes) {
                    finish();
                    return;
                }
            }
            if (dropped && m_tlsCloseDue.isActive())
                m_tlsCloseDue.start(); // the peer still sends: not quiet yet
            return;
        }
        process();
    }

    void onBytesWritten()
    {
        if (m_finished || m_socket->bytesToWrite() > 0) {
            if (!m_finished)
                m_since = monotonicMs(); // the peer reads: progress
            return;
        }
        if (m_state == State::Closing) {
            closeWriting();
        } else if (m_state == State::Writing) {
            m_state = State::Idle;
            m_since = monotonicMs();
            process(); // a request pipelined behind the answer
        }
    }

    void process()
    {
        const AdminHttpLimits &limits = m_service.limits();
        // What this connection holds: one head, one body, and some bytes of the next request.
        const qint64 maxBuffered = limits.maxHeaderBytes + limits.maxBodyBytes + 4096;
        while (!m_finished && (m_state == State::Idle || m_state == State::Reading)) {
            const qint64 room = maxBuffered - m_buffer.size();
            if (room > 0 && m_socket->bytesAvailable() > 0)
                m_buffer += m_socket->read(room);
            if (m_buffer.isEmpty())
                return;
            if (m_state == State::Idle) {
                m_state = State::Reading;
                m_since = monotonicMs();
            }
            switch (m_reader.parse(m_buffer)) {
            case HttpRequestReader::Result::Refused:
                refuse(m_reader.refusal(), m_reader.refusalStatus(), m_reader.refusalMessage());
                return;
            case HttpRequestReader::Result::NeedMore:
                if (m_reader.takeContinue())
                    m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
                if (m_buffer.size() >= maxBuffered) {
                    // Not reached with the reader's own limits; a bound all the same.
                    refuse(AdminRefusal::Malformed, 400, "request not understood");
                    return;
                }
                if (m_socket->bytesAvailable() == 0)
                    return; // the next readyRead goes on
                break;
            case HttpRequestReader::Result::Complete: answer(m_reader.takeRequest()); break;
            }
        }
    }

    void answer(AdminHttpRequest request)
    {
        ++m_requests;
        request.peer = m_peer;
        const AdminHttpResponse response = m_service.handle(request);
        m_socket->write(serializeResponse(
            response, request.method == "HEAD", request.keepAlive, request.minorVersion));
        if (m_finished)
            return; // closed meanwhile (Qt buffers writes: not expected, but never used after)
        m_since = monotonicMs();
        if (!request.keepAlive) {
            startClosing();
            return;
        }
        m_state = State::Writing;
        if (m_socket->bytesToWrite() == 0)
            onBytesWritten();
    }

    // The refusal's answer (its status 0: none), then the connection closes.
    void refuse(AdminRefusal refusal, int status, const QByteArray &message)
    {
        m_service.refused(refusal, m_peer, status, message);
        if (status == 0) {
            finish();
            return;
        }
        m_socket->write(
            serializeResponse(AdminHttpResponse::text(status,
                                  QByteArray::number(status) + ' ' + reasonPhrase(status).toLower()
                                      + ": " + message + '\n'),
                false, false, 1));
        if (!m_finished)
            startClosing();
    }

    // Writes what is queued, then sends FIN and drops what still arrives until the peer closes
    // or lingerMs pass (the sweep cuts it).
    void startClosing()
    {
        m_state = State::Closing;
        m_since = monotonicMs();
        m_buffer.clear();
        if (m_socket->bytesToWrite() == 0)
            closeWriting();
        onReadyRead(); // drop what is already here
    }

    void closeWriting()
    {
        if (m_finished || m_writeClosed)
            return;
        m_writeClosed = true;
        if (!m_tls) {
            ::shutdown(static_cast<int>(m_socket->socketDescriptor()), SHUT_WR);
            return;
        }
        // No half-close over TLS: close_notify closes the TCP connection too, and closing it
        // while the peer's bytes still arrive (the rest of a refused request) resets it, which
        // can destroy the refusal before the peer has read it. So close once the peer has been
        // quiet for a moment (what it sends meanwhile is dropped), or at the linger bounds.
        m_tlsCloseDue.setSingleShot(true);
        m_tlsCloseDue.setInterval(kTlsQuietBeforeCloseMs);
        QObject::connect(&m_tlsCloseDue, &QTimer::timeout, this, [this] {
            if (!m_finished)
                m_socket->disconnectFromHost(); // close_notify
        });
        m_tlsCloseDue.start();
    }

    QTcpSocket *m_socket; // a child of the listener; deleted (later) by finish()
    AdminHttpService &m_service;
    HttpRequestReader m_reader;
    const QHostAddress m_peer;
    const bool m_tls;
    QByteArray m_buffer; // read, not yet parsed
    State m_state = State::Idle;
    qint64 m_since = 0; // when the current state began, or the last write progress
    qint64 m_lingered = 0;
    quint64 m_requests = 0;
    bool m_writeClosed = false;
    QTimer m_tlsCloseDue; // TLS: the close_notify once the peer is quiet (closeWriting())
    bool m_finished = false;
};

AdminHttpService::AdminHttpService(const AdminHttpLimits &limits, Handler handler, LogLimiter &log)
    : m_limits(limits), m_handler(std::move(handler)), m_log(log)
{
    m_stats.maxConnections = limits.maxConnections;
    m_sweep.setInterval(kSweepMs);
    connect(&m_sweep, &QTimer::timeout, this, &AdminHttpService::sweep);
}

AdminHttpService::~AdminHttpService()
{
    const QSet<AdminHttpConnection *> connections = m_connections;
    m_connections.clear();
    qDeleteAll(connections);
    delete m_listener; // its sockets with it
}

bool AdminHttpService::listen(const QHostAddress &address, quint16 port, bool tls,
    const QSslConfiguration &tlsConfiguration, QString *error)
{
    m_tls = tls;
    if (tls) {
        auto *listener = new CappedListener<QSslServer>(*this, true);
        listener->setSslConfiguration(tlsConfiguration);
        m_listener = listener;
    } else {
        m_listener = new CappedListener<QTcpServer>(*this, false);
    }
    m_listener->setParent(this);
    m_listener->setListenBacklogSize(kListenBacklog);
    connect(m_listener, &QTcpServer::pendingConnectionAvailable, this,
        &AdminHttpService::takeConnections);
    connect(m_listener, &QTcpServer::acceptError, this, [this](QAbstractSocket::SocketError) {
        // Out of descriptors (EMFILE): Qt stops accepting; the sweep tries again.
        m_acceptPaused = true;
        quint64 suppressed = 0;
        if (m_log.allow(&suppressed)) {
            auto line = LOTTERY_LOG_FAIL("admin_connection");
            line.field(u"error", m_listener->errorString());
            if (suppressed > 0)
                line.field(u"suppressed", static_cast<unsigned long long>(suppressed));
        }
    });
    if (!m_listener->listen(address, port)) {
        *error = m_listener->errorString();
        delete m_listener;
        m_listener = nullptr;
        return false;
    }
    m_sweep.start();
    return true;
}

quint16 AdminHttpService::serverPort() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

int AdminHttpService::openSockets() const
{
    return m_listener ? static_cast<int>(
               m_listener->findChildren<QAbstractSocket *>(Qt::FindDirectChildrenOnly).size())
                      : 0;
}

AdminHttpStats AdminHttpService::stats() const
{
    AdminHttpStats stats = m_stats;
    stats.connections = openSockets();
    return stats;
}

void AdminHttpService::takeConnections()
{
    while (m_listener->hasPendingConnections()) {
        QTcpSocket *socket = m_listener->nextPendingConnection();
        if (!socket)
            break;
        m_connections.insert(new AdminHttpConnection(socket, *this));
    }
}

AdminHttpResponse AdminHttpService::handle(const AdminHttpRequest &request)
{
    ++m_stats.requests;
    return m_handler(request);
}

void AdminHttpService::refused(
    AdminRefusal refusal, const QHostAddress &peer, int status, const QByteArray &message, bool log)
{
    ++m_stats.refused[static_cast<std::size_t>(refusal)];
    quint64 suppressed = 0;
    if (!log || !m_log.allow(&suppressed))
        return;
    LogLine line(LogLevel::Error,
        refusal == AdminRefusal::ConnectionLimit ? u"admin_connection" : u"admin_request",
        LogResult::Fail);
    if (!peer.isNull())
        line.field(u"ip", peer.toString());
    line.field(u"reason", toString(refusal));
    if (status != 0)
        line.field(u"status", status);
    line.field(u"error", QString::fromUtf8(message));
    if (suppressed > 0)
        line.field(u"suppressed", static_cast<unsigned long long>(suppressed));
}

void AdminHttpService::connectionFinished(AdminHttpConnection *connection)
{
    if (m_connections.remove(connection))
        connection->deleteLater();
}

void AdminHttpService::sweep()
{
    const qint64 now = monotonicMs();
    // A copy: a sweep may finish connections.
    const QSet<AdminHttpConnection *> connections = m_connections;
    for (AdminHttpConnection *connection : connections)
        connection->sweep(now);
    if (m_acceptPaused && m_listener) {
        m_acceptPaused = false;
        m_listener->resumeAccepting();
    }
    m_log.flush();
}

} // namespace lottery::server
