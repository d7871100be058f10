// One agency's upload: connect (with bounded retries), HELLO/WELCOME, resume after what the server
// already stored, stream the bet file as numbered BATCHes with a window of unacknowledged batches,
// DONE, then ask for and collect the agency's winners.
//
// Non-blocking and signal based: the session lives in the thread that creates it and never blocks
// its event loop; the file is read in small steps between socket events. Memory does not grow with
// the file: at most `window` batches are in flight and only their sequence and size are kept.
#pragma once

#include "lottery/protocol/errors.h"
#include "lottery/protocol/messages.h"

#include <QAbstractSocket>
#include <QDate>
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <chrono>
#include <memory>
#include <optional>

class QSslSocket;
class QTcpSocket;

namespace lottery::agency {

struct AgencySessionOptions {
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 12345;
    quint32 agency = 0; // 1..N, required
    QString token; // sent in HELLO; empty when the server runs without credentials
    // PEM CA certificate(s) the server's certificate must chain to; set: TLS, verified against
    // these only (not the system's CAs), and the server's name must match `host`. Empty: plain
    // TCP. A certificate that does not verify is never ignored.
    QString caFile;
    QString dataFile; // required

    int batchMaxBets = 100; // the course's batch.maxAmount; frames also stay within 8 KiB
    // BATCHes sent and not yet acknowledged, at most. 128 (two of the server's 64-batch tasks)
    // keeps each agency's batches arriving while the server syncs the previous ones
    // (docs/PERFORMANCE.md: 8 -> 32 cut 5x1M by ~30 %, 32 -> 128 with 64-batch tasks by ~25 %).
    int window = 128;

    // Connection attempts back off from initialRetryDelay, doubling up to maxRetryDelay, until
    // connectTimeout has passed since start().
    std::chrono::milliseconds connectTimeout {30000};
    std::chrono::milliseconds initialRetryDelay {100};
    std::chrono::milliseconds maxRetryDelay {2000};

    // After a lost connection, a server restart, ERROR(ShuttingDown / ServerBusy / Timeout) or a
    // silent server, reconnect with the same backoff and resume from the next WELCOME, giving up
    // once this long has passed without a WELCOME. Zero: no reconnection, such a loss fails the
    // session. REJECTs and every other ERROR (version, agency, token...) are never retried.
    std::chrono::milliseconds reconnectTimeout {0};

    // Longest silence from the server while an answer is due (WELCOME, ACK, DONE_ACK).
    std::chrono::milliseconds responseTimeout {30000};
    // Longest wait for the WINNERS after GET_WINNERS (the draw waits for every agency);
    // zero means no limit.
    std::chrono::milliseconds drawTimeout {0};

    // The date birthdates are checked against; null means today's date.
    QDate today;
};

class AgencySession : public QObject
{
    Q_OBJECT
public:
    enum class Phase {
        Idle, // not started
        Connecting, // connecting (with retries) and HELLO/WELCOME
        Sending, // streaming batches, then DONE
        WaitingForDraw, // DONE acknowledged, GET_WINNERS sent
        Done, // winners received (final state)
        Failed, // see errorString(), failureKind(), lastErrorCode() (final state)
        Cancelled, // cancel() was called (final state)
    };
    Q_ENUM(Phase)

    enum class FailureKind {
        None,
        InvalidOptions, // bad AgencySessionOptions
        FileError, // the data file cannot be opened or read
        ConnectTimeout, // no connection within connectTimeout
        ServerError, // the server sent ERROR: lastErrorCode()
        BatchRejected, // the server sent REJECT: lastErrorCode(), rejectedSequence()
        ProtocolViolation, // malformed frame or unexpected message from the server
        ConnectionLost, // the server closed the connection or a socket error
        ResponseTimeout, // the server did not answer within responseTimeout / drawTimeout
        TlsError, // the CA file is unusable, or the server failed TLS verification (not retried)
    };
    Q_ENUM(FailureKind)

    explicit AgencySession(const AgencySessionOptions &options, QObject *parent = nullptr);
    ~AgencySession() override;

    const AgencySessionOptions &options() const { return m_options; }

    // Starts the session (only from Idle). Everything, failures included, is reported by
    // signals from the event loop, never from inside start().
    void start();

    // Stops at once: closes the socket and the file. The only signal emitted afterwards is
    // phaseChanged(Cancelled), from inside cancel(). No effect once the session has ended.
    void cancel();

    Phase phase() const { return m_phase; }
    bool isRunning() const;

    // Counters (this session only).
    qint64 rowsSkipped() const { return m_rowsSkipped; } // valid rows already stored (resume)
    qint64 betsSent() const { return m_betsSent; }
    qint64 betsAcknowledged() const { return m_betsAcknowledged; }
    qint64 invalidRows() const { return m_invalidRows; }
    qint64 batchesSent() const { return m_batchesSent; }
    qint64 batchesAcknowledged() const { return m_batchesAcknowledged; }
    qint64 duplicateBatches() const { return m_duplicateBatches; }
    int batchesInFlight() const { return m_inFlightCount; }
    int connectAttempts() const { return m_connectAttempts; }
    int reconnections() const { return m_reconnections; } // outages ridden out so far
    qint64 bytesRead() const; // progress through the data file
    qint64 fileSize() const;

    quint64 serverLastSequence() const { return m_serverLastSequence; } // from WELCOME
    quint64 serverStoredBets() const { return m_serverStoredBets; } // from WELCOME
    QStringList winners() const { return m_winners; }

    // Failure details (meaningful in phase Failed).
    QString errorString() const { return m_errorString; }
    FailureKind failureKind() const { return m_failureKind; }
    // The code of the server's ERROR or REJECT, when that is what ended the session.
    std::optional<protocol::ErrorCode> lastErrorCode() const { return m_lastErrorCode; }
    quint64 rejectedSequence() const { return m_rejectedSequence; }

signals:
    void phaseChanged(lottery::agency::AgencySession::Phase phase);
    void connectRetry(int attempt, const QString &error, int delayMs);
    // The connection was lost (reason); reconnecting for at most timeoutMs. Then connectRetry
    // for each failed attempt, and welcomed() once resumed.
    void reconnecting(const QString &reason, int timeoutMs);
    void connected();
    void welcomed(quint64 lastSequence, quint64 storedBets);
    void invalidRow(qint64 line, const QString &reason);
    void batchSent(quint64 sequence, int count);
    void batchAcknowledged(quint64 sequence, int count, qint64 totalAcknowledged, bool duplicate);
    void uploadCompleted(); // DONE acknowledged: every valid bet is stored
    void winnersReceived(const QStringList &documents);
    void failed(const QString &message);
    void finished();

private:
    class Private;
    QString validateOptions() const;
    void begin();
    void setPhase(Phase phase);
    void fail(FailureKind kind, const QString &message,
        std::optional<protocol::ErrorCode> code = std::nullopt);
    void protocolViolation(protocol::ErrorCode code, const QString &message);
    void closeEverything(bool graceful);
    bool shouldReconnect(FailureKind kind, std::optional<protocol::ErrorCode> code) const;
    void reconnectAfter(const QString &reason);
    void resetUploadState();
    qint64 connectLimitMs() const;

    QSslSocket *createTlsSocket(); // null after fail()
    void attemptConnect();
    void onConnectFailure(const QString &error);
    void onConnected();
    void onSocketError(QAbstractSocket::SocketError error);
    void onDisconnected();

    void send(const protocol::Message &message);
    void onReadyRead();
    void handleMessage(const protocol::Message &message);
    void handleWelcome(const protocol::Welcome &welcome);
    void handleAck(const protocol::Ack &ack);
    void handleReject(const protocol::Reject &reject);
    void handleDoneAck();
    void handleWinners(const protocol::Winners &winners);
    QString awaitingText() const;

    void armResponseTimer();
    void onResponseTimeout();
    bool canSendBatch() const;
    void pump();
    void sendBatch();
    void sendDone();

    AgencySessionOptions m_options;
    std::unique_ptr<Private> d;
    QTcpSocket *m_socket = nullptr;
    QTimer m_retryTimer;
    QTimer m_attemptTimer;
    QTimer m_responseTimer;
    QTimer m_pumpTimer;
    QElapsedTimer m_connectClock;

    Phase m_phase = Phase::Idle;
    FailureKind m_failureKind = FailureKind::None;
    QString m_errorString;
    std::optional<protocol::ErrorCode> m_lastErrorCode;
    quint64 m_rejectedSequence = 0;

    int m_connectAttempts = 0;
    int m_reconnections = 0;
    bool m_reconnecting = false; // between a lost connection and the next WELCOME
    int m_nextRetryDelayMs = 0;
    QString m_lastConnectError;
    QString m_tlsErrors; // why the server's certificate was refused, this attempt

    quint64 m_serverLastSequence = 0;
    quint64 m_serverStoredBets = 0;
    qint64 m_rowsSkipped = 0;
    qint64 m_betsSent = 0;
    qint64 m_betsAcknowledged = 0;
    qint64 m_invalidRows = 0;
    qint64 m_batchesSent = 0;
    qint64 m_batchesAcknowledged = 0;
    qint64 m_duplicateBatches = 0;
    int m_inFlightCount = 0;
    QStringList m_winners;
};

} // namespace lottery::agency
