#include "server/connection_listener.h"

#include "common/log.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>

namespace lottery::server {

ConnectionListener::ConnectionListener(QObject *parent) : QTcpServer(parent) { }

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
