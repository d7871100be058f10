#include "server/net/connection_listener.h"

#include "common/log.h"

#include "lottery/protocol/codec.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>

#include <sys/resource.h>

namespace lottery::server {

namespace {

// After accept() fails (typically EMFILE) wait this long before accepting again.
constexpr int kResumeAcceptMs = 1000;
// A refused connection gets this long to read its ERROR(ServerBusy).
constexpr int kBusyCloseMs = 2000;
// Descriptors kept free for the storage files, the draw and Qt's own needs.
constexpr qintptr kDescriptorReserve = 16;

// RLIMIT_NOFILE's soft limit, 0 when there is none.
qintptr readDescriptorLimit()
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return 0;
    return static_cast<qintptr>(limit.rlim_cur);
}

} // namespace

ConnectionListener::ConnectionListener(QObject *parent) : QTcpServer(parent)
{
    connect(this, &QTcpServer::newConnection, this, &ConnectionListener::acceptPending);
    connect(this, &QTcpServer::acceptError, this, &ConnectionListener::onAcceptError);
    m_resumeTimer.setSingleShot(true);
    connect(&m_resumeTimer, &QTimer::timeout, this, [this] {
        if (m_stopped)
            return;
        LOTTERY_LOG_PROGRESS("accept").field(u"step", "resume_accepting");
        resumeAccepting();
    });
}

void ConnectionListener::setConnectionLimit(int max, std::function<qsizetype()> liveConnections)
{
    m_maxConnections = max;
    m_liveConnections = std::move(liveConnections);
}

void ConnectionListener::stopListening()
{
    m_stopped = true;
    m_resumeTimer.stop();
    close();
}

void ConnectionListener::acceptPending()
{
    while (QTcpSocket *socket = nextPendingConnection()) {
        if (m_stopped) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        if (m_liveConnections && m_liveConnections() >= m_maxConnections) {
            refuseBusy(socket);
            continue;
        }
        const qintptr descriptor = socket->socketDescriptor();
        emit connectionReady(socket);
        if (nearDescriptorLimit(descriptor)) {
            LOTTERY_LOG_FAIL("accept")
                .field(u"error",
                    QStringLiteral("open file limit nearly reached (descriptor %1, %2 sessions)")
                        .arg(descriptor)
                        .arg(m_liveConnections ? m_liveConnections() : 0))
                .field(u"retry_ms", kResumeAcceptMs);
            pauseForDescriptors();
            return;
        }
    }
}

// Qt 6.4 does not report an accept() that fails with EMFILE (no acceptError: it retries at
// once, spinning the event loop). The kernel hands out the lowest free descriptor, so a new
// socket numbered near the limit means nearly every descriptor is in use: stop accepting first.
// The limit is read again only when a descriptor comes near the last value read, so that an
// accept costs no getrlimit() while a limit raised meanwhile (prlimit) is still seen.
bool ConnectionListener::nearDescriptorLimit(qintptr descriptor)
{
    const auto near = [descriptor](qintptr limit) {
        return limit > 0 && descriptor + kDescriptorReserve >= limit;
    };
    if (m_descriptorLimit < 0 || near(m_descriptorLimit))
        m_descriptorLimit = readDescriptorLimit();
    return near(m_descriptorLimit);
}

void ConnectionListener::refuseBusy(QTcpSocket *socket)
{
    const QString message = QStringLiteral("connection limit %1 reached").arg(m_maxConnections);
    LOTTERY_LOG_FAIL("conexion")
        .field(u"ip", socket->peerAddress().toString())
        .field(u"code", protocol::toString(protocol::ErrorCode::ServerBusy))
        .field(u"error", message);
    emit connectionRefused(protocol::ErrorCode::ServerBusy);
    const std::string bytes = protocol::encodeFrame(
        protocol::ErrorMessage {protocol::ErrorCode::ServerBusy, message.toStdString()});
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    QTimer::singleShot(kBusyCloseMs, socket, [socket] { socket->abort(); });
    const auto refuse = [socket, bytes] {
        socket->write(bytes.data(), static_cast<qint64>(bytes.size()));
        socket->disconnectFromHost();
    };
    // A TLS peer can read the ERROR only once its handshake is done.
    auto *tls = qobject_cast<QSslSocket *>(socket);
    if (tls && !tls->isEncrypted())
        connect(tls, &QSslSocket::encrypted, tls, refuse);
    else
        refuse();
}

void ConnectionListener::onAcceptError(QAbstractSocket::SocketError)
{
    // QTcpServer stops accepting after an accept() failure (e.g. EMFILE): resume later.
    LOTTERY_LOG_FAIL("accept").field(u"error", errorString()).field(u"retry_ms", kResumeAcceptMs);
    pauseForDescriptors();
}

void ConnectionListener::pauseForDescriptors()
{
    pauseAccepting();
    m_resumeTimer.start(kResumeAcceptMs);
}

bool ConnectionListener::loadTlsConfiguration(const QString &certificatePath,
    const QString &keyPath, QSslConfiguration *configuration, QString *error)
{
    if (!QSslSocket::supportsSsl()) {
        *error = QStringLiteral("TLS is configured but this Qt has no TLS backend (%1)")
                     .arg(QSslSocket::sslLibraryVersionString());
        return false;
    }
    QFile certificateFile(certificatePath);
    if (!certificateFile.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("TLS certificate %1: %2")
                     .arg(certificatePath, certificateFile.errorString());
        return false;
    }
    const QList<QSslCertificate> chain
        = QSslCertificate::fromData(certificateFile.readAll(), QSsl::Pem);
    if (chain.isEmpty() || chain.constFirst().isNull()) {
        *error
            = QStringLiteral("TLS certificate %1: no PEM certificate in it").arg(certificatePath);
        return false;
    }
    QFile keyFile(keyPath);
    if (!keyFile.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("TLS key %1: %2").arg(keyPath, keyFile.errorString());
        return false;
    }
    const QByteArray keyBytes = keyFile.readAll();
    QSslKey key;
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec}) {
        key = QSslKey(keyBytes, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull()) {
        *error = QStringLiteral("TLS key %1: no unencrypted PEM RSA or EC private key in it")
                     .arg(keyPath);
        return false;
    }
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.setLocalCertificateChain(chain);
    tls.setPrivateKey(key);
    // Agencies prove who they are with their token, not with a client certificate.
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    *configuration = tls;
    return true;
}

void ConnectionListener::setTlsConfiguration(const QSslConfiguration &configuration)
{
    m_configuration = configuration;
    m_tls = true;
}

void ConnectionListener::incomingConnection(qintptr descriptor)
{
    if (!m_tls) {
        QTcpServer::incomingConnection(descriptor);
        return;
    }
    auto *socket = new QSslSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        LOTTERY_LOG_FAIL("conexion").field(u"error", socket->errorString());
        delete socket;
        return;
    }
    socket->setSslConfiguration(m_configuration);
    connect(socket, &QSslSocket::errorOccurred, socket, [socket](QAbstractSocket::SocketError) {
        if (socket->isEncrypted())
            return; // the session sees what happens after the handshake
        LOTTERY_LOG_FAIL("tls_handshake")
            .field(u"ip", socket->peerAddress().toString())
            .field(u"error", socket->errorString());
        // Nothing the peer sent is decrypted, so nothing reached the session: drop it.
        QMetaObject::invokeMethod(socket, &QAbstractSocket::abort, Qt::QueuedConnection);
    });
    socket->startServerEncryption();
    addPendingConnection(socket);
}

} // namespace lottery::server
