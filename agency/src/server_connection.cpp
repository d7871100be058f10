#include "server_connection.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslSocket>
#include <QTcpSocket>

#include <algorithm>
#include <climits>

namespace lottery::agency {

namespace {

// Kernel send buffer (the kernel may cap it): what does not fit waits in the socket's own buffer,
// which holds at most a window of 8 KiB frames.
constexpr int kSendBufferBytes = 256 * 1024;

// Our own read buffer: frames from the server are small; the socket stops reading past this.
constexpr qint64 kReadBufferBytes = 64 * 1024;

} // namespace

ServerConnection::ServerConnection(const ServerConnectionOptions &options, QObject *parent)
    : QObject(parent), m_options(options)
{
    m_retryTimer.setSingleShot(true);
    m_attemptTimer.setSingleShot(true);
    connect(&m_retryTimer, &QTimer::timeout, this, &ServerConnection::attempt);
    connect(&m_attemptTimer, &QTimer::timeout, this, [this] {
        if (m_socket)
            m_socket->abort();
        onAttemptFailed(
            QStringLiteral("connection attempt timed out"), QAbstractSocket::SocketTimeoutError);
    });
}

ServerConnection::~ServerConnection()
{
    close(false);
}

QString ServerConnection::serverList() const
{
    QStringList parts;
    for (const ServerAddress &server : m_options.servers)
        parts << server.toString();
    return parts.join(QStringLiteral(", "));
}

bool ServerConnection::prepare(QString *error)
{
    if (m_socket)
        return true;
    if (m_options.caFile.isEmpty()) {
        m_socket = new QTcpSocket(this);
        connect(m_socket, &QTcpSocket::connected, this, &ServerConnection::onConnected);
    } else {
        if (!QSslSocket::supportsSsl()) {
            *error = QStringLiteral("TLS is not available in this Qt (no TLS backend)");
            return false;
        }
        QFile file(m_options.caFile);
        if (!file.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("CA file %1: %2").arg(m_options.caFile, file.errorString());
            return false;
        }
        const QList<QSslCertificate> authorities = QSslCertificate::fromData(file.readAll());
        if (authorities.isEmpty()) {
            *error = QStringLiteral("CA file %1 holds no PEM certificate").arg(m_options.caFile);
            return false;
        }
        QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
        configuration.setProtocol(QSsl::TlsV1_2OrLater);
        configuration.setCaCertificates(authorities); // only these: not the system's CAs
        configuration.setPeerVerifyMode(QSslSocket::VerifyPeer);
        auto *tls = new QSslSocket(this);
        tls->setSslConfiguration(configuration);
        // Never ignored: the handshake then fails and onSocketError() reports it.
        connect(tls, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
            QStringList texts;
            for (const QSslError &sslError : errors)
                texts << sslError.errorString();
            m_tlsErrors = texts.join(QStringLiteral("; "));
        });
        // The session starts once the server is verified, not when TCP connects.
        connect(tls, &QSslSocket::encrypted, this, &ServerConnection::onConnected);
        m_socket = tls;
        m_tls = true;
    }
    m_socket->setReadBufferSize(kReadBufferBytes);
    connect(m_socket, &QTcpSocket::errorOccurred, this, &ServerConnection::onSocketError);
    connect(m_socket, &QTcpSocket::disconnected, this, &ServerConnection::onDisconnected);
    connect(m_socket, &QTcpSocket::readyRead, this, &ServerConnection::onReadyRead);
    return true;
}

void ServerConnection::open(qint64 limitMs)
{
    m_open = true;
    m_reconnecting = false;
    m_index = 0;
    m_failuresThisRound = 0;
    m_limitMs = limitMs;
    m_nextRetryDelayMs = static_cast<int>(m_options.initialRetryDelay.count());
    m_clock.start();
    attempt();
}

void ServerConnection::reconnect(
    qint64 limitMs, bool newOutage, bool nextServer, const QString &reason)
{
    ++m_generation;
    m_established = false; // the abort below must not report the loss a second time
    m_attemptTimer.stop();
    m_retryTimer.stop();
    m_socket->abort();
    m_open = true;
    m_limitMs = limitMs;
    if (newOutage) {
        // One outage: the clock runs from the first loss until settled(), across attempts.
        m_reconnecting = true;
        m_clock.restart();
        m_nextRetryDelayMs = static_cast<int>(m_options.initialRetryDelay.count());
        m_failuresThisRound = 0;
    }
    if (!nextServer) {
        scheduleAttempt(0, reason); // the same server, at once: a new HELLO is all it takes
        return;
    }
    // The lost server counts as this round's failed attempt.
    onAttemptFailed(reason, QAbstractSocket::RemoteHostClosedError);
}

void ServerConnection::close(bool graceful)
{
    ++m_generation;
    m_open = false;
    m_established = false;
    m_retryTimer.stop();
    m_attemptTimer.stop();
    if (!m_socket)
        return;
    if (graceful && m_socket->state() == QAbstractSocket::ConnectedState)
        m_socket->disconnectFromHost(); // sends what is queued (a final ERROR), then FIN
    else
        m_socket->abort();
}

void ServerConnection::send(std::string_view frame)
{
    if (m_open && m_established)
        m_socket->write(frame.data(), static_cast<qint64>(frame.size()));
}

void ServerConnection::fail(UploadError::Kind kind, const QString &message)
{
    UploadError error;
    error.kind = kind;
    error.message = message;
    error.server = currentServer().toString();
    close(false);
    emit gaveUp(error);
}

void ServerConnection::attempt()
{
    if (!m_open)
        return;
    ++m_attempts;
    ++m_generation;
    m_established = false;
    m_socket->abort();
    m_decoder = protocol::StreamDecoder();
    const qint64 remaining = m_limitMs - m_clock.elapsed();
    // One attempt may not outlive the overall deadline (a SYN to a dead host can hang for minutes).
    m_attemptTimer.start(static_cast<int>(std::clamp<qint64>(remaining, 1, INT_MAX)));
    m_tlsErrors.clear();
    const ServerAddress server = currentServer();
    if (m_tls)
        static_cast<QSslSocket *>(m_socket)->connectToHostEncrypted(server.host, server.port);
    else
        m_socket->connectToHost(server.host, server.port);
}

void ServerConnection::scheduleAttempt(int delayMs, const QString &error)
{
    m_retryTimer.start(delayMs);
    emit retrying(m_attempts, error, delayMs);
}

void ServerConnection::onAttemptFailed(
    const QString &error, QAbstractSocket::SocketError socketError)
{
    m_attemptTimer.stop();
    // The next server of the list at once; a round of failures over the whole list backs off.
    m_index = (m_index + 1) % std::max<int>(1, static_cast<int>(m_options.servers.size()));
    int delay = 0;
    if (++m_failuresThisRound >= m_options.servers.size()) {
        m_failuresThisRound = 0;
        delay = m_nextRetryDelayMs;
        m_nextRetryDelayMs
            = static_cast<int>(std::min<qint64>(2LL * delay, m_options.maxRetryDelay.count()));
    }
    if (m_clock.elapsed() + delay < m_limitMs) {
        scheduleAttempt(delay, error);
        return;
    }
    const QString message = m_reconnecting
        ? QStringLiteral("gave up reconnecting to %1 after %2 ms without a session (%3 "
                         "attempts): %4")
              .arg(serverList())
              .arg(m_limitMs)
              .arg(m_attempts)
              .arg(error)
        : QStringLiteral("could not connect to %1 within %2 ms (%3 attempts): %4")
              .arg(serverList())
              .arg(m_limitMs)
              .arg(m_attempts)
              .arg(error);
    UploadError failure;
    failure.kind = UploadError::Kind::ConnectTimeout;
    failure.message = message;
    failure.socketError = socketError;
    close(false);
    emit gaveUp(failure);
}

void ServerConnection::onConnected()
{
    if (!m_open)
        return;
    m_attemptTimer.stop();
    m_established = true;
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_socket->setSocketOption(QAbstractSocket::SendBufferSizeSocketOption, kSendBufferBytes);
    emit established();
}

void ServerConnection::onSocketError(QAbstractSocket::SocketError error)
{
    if (!m_open)
        return;
    const ServerAddress server = currentServer();
    if (!m_established
        && (error == QAbstractSocket::SslHandshakeFailedError || !m_tlsErrors.isEmpty())) {
        // The same server would fail the same check again: not retried.
        fail(UploadError::Kind::TlsError,
            QStringLiteral("TLS with %1 failed: %2")
                .arg(server.toString(),
                    m_tlsErrors.isEmpty() ? m_socket->errorString() : m_tlsErrors));
        return;
    }
    if (!m_established) {
        onAttemptFailed(m_socket->errorString(), error);
        return;
    }
    // Frames that arrived before the close (an ERROR, typically) explain it better.
    const quint64 generation = m_generation;
    onReadyRead();
    if (!m_open || generation != m_generation || !m_established)
        return; // closed, or already reconnecting because of them
    const QString what = error == QAbstractSocket::RemoteHostClosedError
        ? QStringLiteral("the server closed the connection")
        : m_socket->errorString();
    m_established = false;
    emit lost(QStringLiteral("connection to %1 lost: %2").arg(server.toString(), what));
}

void ServerConnection::onDisconnected()
{
    if (!m_open || !m_established)
        return;
    const quint64 generation = m_generation;
    onReadyRead();
    if (!m_open || generation != m_generation || !m_established)
        return;
    m_established = false;
    emit lost(QStringLiteral("connection to %1 lost: the server closed the connection")
                  .arg(currentServer().toString()));
}

void ServerConnection::onReadyRead()
{
    if (!m_open || !m_established)
        return;
    const QByteArray bytes = m_socket->readAll();
    if (bytes.isEmpty())
        return;
    m_decoder.feed(bytes.constData(), static_cast<std::size_t>(bytes.size()));
    const quint64 generation = m_generation;
    while (m_open && m_established && generation == m_generation) {
        protocol::Message message;
        const protocol::DecodeStatus status = m_decoder.next(message);
        if (status == protocol::DecodeStatus::Incomplete)
            return;
        if (status == protocol::DecodeStatus::Malformed) {
            emit malformed(m_decoder.error());
            return;
        }
        emit messageReceived(message);
    }
}

} // namespace lottery::agency
