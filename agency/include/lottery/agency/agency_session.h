// One agency's upload: connect (with bounded retries, failing over along a list of servers),
// HELLO/WELCOME, resume after what the server already stored, stream the bet file as numbered
// BATCHes with a window of unacknowledged batches, DONE, then ask for and collect the agency's
// winners.
//
// Two parts with one job each, joined here: ServerConnection (src/server_connection.h: sockets,
// TLS, backoff, failover, frame decoding) and UploadPump (upload_pump.h: the conversation and the
// file, no socket). This class applies the retry rules (upload_error.h, retryRuleFor) between them.
//
// Non-blocking and signal based: the session lives in the thread that creates it and never blocks
// its event loop; the file is read in small steps between socket events. Memory does not grow with
// the file: at most `window` batches are in flight and only their sequence and size are kept.
#pragma once

#include "lottery/agency/server_address.h"
#include "lottery/agency/upload_error.h"
#include "lottery/agency/upload_pump.h"
#include "lottery/protocol/errors.h"
#include "lottery/protocol/messages.h"

#include <QDate>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <chrono>
#include <memory>
#include <optional>

namespace lottery::agency {

class ServerConnection;
class UploadPump;

struct AgencySessionOptions {
    // Tried in order; on a lost connection or a retryable ERROR the next one (wrapping).
    QList<ServerAddress> servers {ServerAddress {QStringLiteral("127.0.0.1"), 12345}};
    quint32 agency = 0; // 1..N, required
    QString token; // sent in HELLO; empty when the server runs without credentials
    // PEM CA certificate(s) the server's certificate must chain to; set: TLS, verified against
    // these only (not the system's CAs), and the server's name must match its host. Empty: plain
    // TCP. A certificate that does not verify is never ignored.
    QString caFile;
    QString dataFile; // required

    int batchMaxBets = 100; // the course's batch.maxAmount; frames also stay within 8 KiB
    // BATCHes sent and not yet acknowledged, at most. 128 (two of the server's 64-batch tasks)
    // keeps each agency's batches arriving while the server syncs the previous ones
    // (docs/PERFORMANCE.md: 8 -> 32 cut 5x1M by ~30 %, 32 -> 128 with 64-batch tasks by ~25 %).
    int window = 128;
    // The highest protocol version HELLO offers (docs/PROTOCOL.md, "Versions").
    quint16 protocolVersion = protocol::kLatestProtocolVersion;

    // Connection attempts go along the list, backing off after each full round from
    // initialRetryDelay, doubling up to maxRetryDelay, until connectTimeout has passed.
    std::chrono::milliseconds connectTimeout {30000};
    std::chrono::milliseconds initialRetryDelay {100};
    std::chrono::milliseconds maxRetryDelay {2000};

    // After a lost connection, a silent server or an ERROR/REJECT whose rule is NextServer
    // (retryRuleFor: storage_failure, server_busy, shutting_down, timeout), reconnect to the next
    // server and resume from its WELCOME, giving up once this long has passed without a WELCOME.
    // Zero: no failover, such a loss fails the session. A Resync code (sequence_gap,
    // sequence_conflict) reconnects to the same server at most kMaxResyncs times, within this
    // timeout (or connectTimeout when it is zero).
    std::chrono::milliseconds reconnectTimeout {0};

    // Longest silence from the server while an answer is due (WELCOME, ACK, DONE_ACK).
    std::chrono::milliseconds responseTimeout {30000};
    // Longest wait for the WINNERS after GET_WINNERS (the draw waits for every agency);
    // zero means no limit.
    std::chrono::milliseconds drawTimeout {0};

    // The date birthdates are checked against; null means today's date.
    QDate today;
    // Judge the whole file (BetFileInspector) as it is read and send DONE only if it does not
    // look wrong: else the upload ends with SuspiciousFile, its valid rows stored, the agency
    // not closed. agency-cli sets it unless told --accept-suspicious-file: it checks only the
    // file's first rows before sending (docs/PROTOCOL.md, section 10.9).
    bool withholdDoneIfSuspicious = false;
};

class AgencySession : public QObject
{
    Q_OBJECT
public:
    enum class Phase {
        Idle, // not started
        Connecting, // connecting (with retries) and HELLO/WELCOME
        Sending, // streaming batches, then DONE
        WaitingForDraw, // DONE acknowledged (GET_WINNERS went out behind it)
        Done, // winners received (final state)
        Failed, // see error() (final state)
        Cancelled, // cancel() was called (final state)
    };
    Q_ENUM(Phase)

    using FailureKind = UploadError::Kind;

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
    qint64 rowsSkipped() const; // valid rows already stored (resume)
    qint64 betsSent() const;
    qint64 betsAcknowledged() const;
    qint64 invalidRows() const;
    qint64 batchesSent() const;
    qint64 batchesAcknowledged() const;
    qint64 duplicateBatches() const;
    int batchesInFlight() const;
    int connectAttempts() const;
    int reconnections() const { return m_reconnections; } // outages ridden out so far
    int resyncs() const { return m_resyncs; } // Resync codes answered with a new HELLO
    qint64 bytesRead() const; // progress through the data file
    qint64 fileSize() const;
    ServerAddress currentServer() const; // the one connected to, or being tried

    quint64 serverLastSequence() const; // from the last WELCOME
    // Bets of this agency the server held when this session began: the first WELCOME's
    // storedBets. Not the last WELCOME's: after a reconnection that one also counts bets this
    // session sent, which betsAcknowledged() counts already.
    quint64 serverStoredBets() const;
    // What the server holds now: serverStoredBets() + betsAcknowledged() (which includes the bets
    // a later WELCOME confirmed when their ACK was lost with the connection), each bet once.
    qint64 betsStoredOnServer() const;
    quint16 protocolVersion() const; // agreed by the last WELCOME (0: none yet)
    const UploadReceipt &receipt() const; // the last receipt (version 2), checked
    const std::optional<protocol::Sealed> &sealed() const; // the verified seal (version 2)
    // SuspiciousFile: why the whole file looks wrong (withholdDoneIfSuspicious).
    const BetFileCheck &fileCheck() const;
    QStringList winners() const;

    // Failure details (meaningful in phase Failed).
    const UploadError &error() const { return m_error; }
    QString errorString() const { return m_error.message; }
    FailureKind failureKind() const { return m_error.kind; }
    // The code of the server's ERROR or REJECT, when that is what ended the session.
    std::optional<protocol::ErrorCode> lastErrorCode() const { return m_error.code; }
    quint64 rejectedSequence() const { return m_error.rejectedSequence; }
    // What started the current outage (during reconnecting(), for a message to a person).
    const UploadError &outageCause() const { return m_outageCause; }

signals:
    void phaseChanged(lottery::agency::AgencySession::Phase phase);
    void connectRetry(int attempt, const QString &error, int delayMs);
    // The connection was lost or refused (reason); reconnecting for at most timeoutMs, to the
    // next server of the list. Then connectRetry for each failed attempt, and welcomed() once
    // resumed.
    void reconnecting(const QString &reason, int timeoutMs);
    void connected();
    void welcomed(quint64 lastSequence, quint64 storedBets);
    void protocolAgreed(quint16 version, quint16 offered);
    void storedBetsVerified(quint64 storedBets);
    // The file does not begin with the stored bets (rows corrected in place): the server lists
    // them and they are looked for anywhere in the file; then storedBetsMatched (the other
    // rowsToSend valid rows are sent), or failed(StoredBetsDiffer) naming what the file lacks.
    void listingStoredBets(quint64 storedBets);
    void storedBetsMatched(quint64 storedBets, quint64 rowsToSend);
    void receiptReceived(const lottery::AgencyReceipt &receipt);
    void sealVerified(const lottery::protocol::Sealed &sealed);
    void invalidRow(qint64 line, const QString &reason);
    void batchSent(quint64 sequence, int count);
    void batchAcknowledged(quint64 sequence, int count, qint64 totalAcknowledged, bool duplicate);
    void uploadCompleted(); // DONE acknowledged: every valid bet is stored
    void winnersReceived(const QStringList &documents);
    void failed(const lottery::agency::UploadError &error);
    void finished();

private:
    enum class Recovery { None, NextServer, SameServer };

    QString validateOptions() const;
    void begin();
    void setPhase(Phase phase);
    void handle(int status, bool wasAwaitingWelcome); // an UploadPump::Status
    void handleFailure(UploadError error);
    Recovery recoveryFor(const UploadError &error) const;
    void recover(const UploadError &cause, bool nextServer);
    void settle(); // the server made progress: the next loss starts a new outage
    void finishFailed(const UploadError &error);
    void closeEverything(bool graceful);

    void onEstablished();
    void onMessage(const protocol::Message &message);
    void runPump();
    void armResponseTimer();
    void onResponseTimeout();

    AgencySessionOptions m_options;
    std::unique_ptr<ServerConnection> m_connection;
    std::unique_ptr<UploadPump> m_pump;
    QTimer m_responseTimer;
    QTimer m_pumpTimer;

    Phase m_phase = Phase::Idle;
    bool m_started = false;
    UploadError m_error;
    int m_reconnections = 0;
    int m_resyncs = 0;
    bool m_reconnecting = false; // between a loss and the next progress (ACK, DONE_ACK)
    UploadError m_outageCause; // what started the current outage
};

} // namespace lottery::agency
