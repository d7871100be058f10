// The listening socket and its accept policy, in the main thread: the connection cap (the excess
// gets ERROR(ServerBusy) and is closed), and pausing accept() near the open-file limit (EMFILE)
// with a retry a second later. Admitted connections come out as connectionReady().
//
// Without TLS it is a plain QTcpServer. With TLS each
// accepted connection is a QSslSocket whose server handshake starts at once, and the socket is
// handed out (nextPendingConnection) before the handshake ends: so the connection limit counts
// connections still in their handshake, and the session's HELLO deadline covers the handshake.
#pragma once

#include "lottery/protocol/errors.h"

#include <QSslConfiguration>
#include <QString>
#include <QTcpServer>
#include <QTimer>

#include <functional>

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

    // At most `max` connections at once, as counted by `liveConnections` (the sessions the
    // receiver of connectionReady() still holds, handshakes included).
    void setConnectionLimit(int max, std::function<qsizetype()> liveConnections);
    // Shutdown: stops listening for good; a connection still pending is dropped.
    void stopListening();

signals:
    // An admitted connection: the receiver takes ownership of the socket (synchronously).
    void connectionReady(QTcpSocket *socket);
    // A connection refused with ERROR(code) (the connection cap): for the operator's counts.
    void connectionRefused(protocol::ErrorCode code);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    void acceptPending();
    void refuseBusy(QTcpSocket *socket);
    void onAcceptError(QAbstractSocket::SocketError error);
    void pauseForDescriptors();
    bool nearDescriptorLimit(qintptr descriptor);

    QSslConfiguration m_configuration;
    bool m_tls = false;
    bool m_stopped = false;
    int m_maxConnections = 1024;
    qintptr m_descriptorLimit = -1; // RLIMIT_NOFILE as last read (0: none), -1: not read yet
    std::function<qsizetype()> m_liveConnections;
    QTimer m_resumeTimer;
};

} // namespace lottery::server
