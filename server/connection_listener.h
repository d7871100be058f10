// The listening socket, in the main thread. Without TLS it is a plain QTcpServer. With TLS each
// accepted connection is a QSslSocket whose server handshake starts at once, and the socket is
// handed out (nextPendingConnection) before the handshake ends: so the connection limit counts
// connections still in their handshake, and the session's HELLO deadline covers the handshake.
#pragma once

#include <QSslConfiguration>
#include <QString>
#include <QTcpServer>

namespace lottery::server {

class ConnectionListener : public QTcpServer
{
    Q_OBJECT
public:
    explicit ConnectionListener(QObject *parent = nullptr);

    // Reads the PEM certificate (chain: the server's first) and PEM private key. False with
    // `error` naming the file and the problem.
    static bool loadTlsConfiguration(const QString &certificatePath, const QString &keyPath,
        QSslConfiguration *configuration, QString *error);

    // From now on every accepted connection is TLS with this configuration.
    void setTlsConfiguration(const QSslConfiguration &configuration);
    bool isTlsEnabled() const { return m_tls; }

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    QSslConfiguration m_configuration;
    bool m_tls = false;
};

} // namespace lottery::server
