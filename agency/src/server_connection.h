// The agency's connection to the servers of its list, and nothing about the upload: connect
// (TCP or verified TLS), retry with backoff, fail over along the list, decode frames. The upload
// pump (upload_pump.h) never sees a socket; AgencySession joins the two.
#pragma once

#include "lottery/agency/server_address.h"
#include "lottery/agency/upload_error.h"
#include "lottery/protocol/codec.h"

#include <QAbstractSocket>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QSslConfiguration>
#include <QTimer>

#include <chrono>
#include <string_view>

class QTcpSocket;

namespace lottery::agency {

struct ServerConnectionOptions {
    QList<ServerAddress> servers; // tried in order, wrapping
    QString caFile; // set: TLS, verified against these CAs only
    std::chrono::milliseconds initialRetryDelay {100};
    std::chrono::milliseconds maxRetryDelay {2000};
};

class ServerConnection : public QObject
{
    Q_OBJECT
public:
    explicit ServerConnection(const ServerConnectionOptions &options, QObject *parent = nullptr);
    ~ServerConnection() override;

    // Loads the CA file (TLS); false: `error` says why.
    bool prepare(QString *error);

    // Connects to the first server of the list, trying the others in turn; each full round of
    // failures backs off (initialRetryDelay doubling up to maxRetryDelay). gaveUp() once
    // `limitMs` has passed without a connection.
    void open(qint64 limitMs);
    // After a loss: drops the connection and connects again, to the next server of the list
    // when `nextServer`, else to the same one. `newOutage` restarts the clock and the backoff
    // (the first loss since the last settled()).
    void reconnect(qint64 limitMs, bool newOutage, bool nextServer, const QString &reason);
    // The session is established again (WELCOME): the next loss is a new outage.
    void settled() { m_reconnecting = false; }
    void close(bool graceful); // graceful: what is queued (a final ERROR) is sent first

    void send(std::string_view frame);
    bool isEstablished() const { return m_established; }
    ServerAddress currentServer() const { return m_options.servers.value(m_index); }
    QString serverList() const; // "a:1, b:2" for messages
    int attempts() const { return m_attempts; }

signals:
    void established(); // TCP connected, or TLS verified
    void retrying(int attempt, const QString &error, int delayMs);
    void messageReceived(const protocol::Message &message);
    void malformed(const protocol::DecodeError &error);
    void lost(const QString &reason); // an established connection ended
    void gaveUp(const lottery::agency::UploadError &error); // ConnectTimeout or TlsError

private:
    void attempt();
    void onAttemptFailed(const QString &error, QAbstractSocket::SocketError socketError);
    void onConnected();
    void onSocketError(QAbstractSocket::SocketError error);
    void onDisconnected();
    void onReadyRead();
    void scheduleAttempt(int delayMs, const QString &error);
    void fail(UploadError::Kind kind, const QString &message);

    ServerConnectionOptions m_options;
    QTcpSocket *m_socket = nullptr;
    bool m_tls = false;
    QSslConfiguration m_tlsConfiguration;
    QString m_tlsErrors; // why the server's certificate was refused, this attempt
    protocol::StreamDecoder m_decoder;
    QTimer m_retryTimer;
    QTimer m_attemptTimer;
    QElapsedTimer m_clock;
    qint64 m_limitMs = 0;
    int m_index = 0;
    int m_failuresThisRound = 0;
    int m_nextRetryDelayMs = 0;
    int m_attempts = 0;
    bool m_established = false;
    bool m_reconnecting = false;
    bool m_open = false; // between open() and close() / gaveUp()
    quint64 m_generation = 0; // bumped by close(): a read loop stops when it changes
};

} // namespace lottery::agency
