// The upload's conversation with one server, without a socket: HELLO, resume from WELCOME,
// the bet file streamed as numbered BATCHes within a window of unacknowledged ones, DONE and
// GET_WINNERS behind the last one, and the WINNERS chunks. Fed decoded messages (receive()), it
// hands the frames it wants sent to a sink, so it is tested by feeding it messages and collecting
// frames.
//
// What survives a new connection (startConnection()): the counters, what was acknowledged, the
// invalid rows already reported. What does not: unacknowledged batches, which the next WELCOME
// settles (stored or not), and the file position (the file is read again, skipping the
// WELCOME's storedBets valid rows).
#pragma once

#include "common/agency_receipt.h"
#include "common/bet_digest.h"
#include "lottery/agency/bet_file_reader.h"
#include "lottery/agency/upload_error.h"
#include "lottery/protocol/bet.h"
#include "lottery/protocol/messages.h"

#include <QDate>
#include <QObject>
#include <QStringList>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace lottery::agency {

class StoredBetsMatch;

struct UploadPumpOptions {
    quint32 agency = 0;
    QString token;
    QString dataFile;
    int batchMaxBets = 100;
    int window = 128;
    QDate today; // null: today's date
    // The highest protocol version HELLO offers (tests and comparisons may ask for 1).
    quint16 protocolVersion = protocol::kLatestProtocolVersion;
    // AgencySessionOptions::withholdDoneIfSuspicious.
    bool withholdDoneIfSuspicious = false;
};

// The agency's proof of what the server stores for it (protocol version 2): the last RECEIPT,
// checked against the file (common/agency_receipt.h; docs/AUDIT.md gives its file form).
using UploadReceipt = AgencyReceipt;

class UploadPump : public QObject
{
    Q_OBJECT
public:
    // Rows read by one step() before it returns, so that socket events are never held up long.
    static constexpr int kRowsPerStep = 1024;

    enum class Status {
        Waiting, // nothing to do until the server answers
        Ready, // call step(): there are rows to read and room to send them
        Finished, // the final WINNERS chunk arrived
        Failed, // see failure()
    };
    Q_ENUM(Status)

    enum class Awaiting { Nothing, Welcome, StoredList, Acks, DoneAck, Winners };
    Q_ENUM(Awaiting)

    using FrameSink = std::function<void(std::string_view frame)>;

    UploadPump(const UploadPumpOptions &options, FrameSink sink, QObject *parent = nullptr);
    ~UploadPump() override;

    // Opens the data file; false: failure() says why (FileError).
    bool openFile();
    // A connection is up: forget what was in flight, read the file again, send HELLO.
    // False when the file cannot be reopened (failure()).
    bool startConnection();
    // One message from the server. Ready: call step() (the window has room).
    Status receive(const protocol::Message &message);
    // Reads up to `rowBudget` rows and sends the batches that fit in the window, then DONE and
    // GET_WINNERS right behind the last batch once the file is exhausted (not waiting for its
    // ACKs: PROTOCOL.md, "Pipelining DONE"). Ready: the budget ran out.
    Status step(int rowBudget = kRowsPerStep);
    // Tells the server why we hang up (ERROR) and fails with ProtocolViolation.
    Status protocolViolation(protocol::ErrorCode code, const QString &message,
        UploadError::Kind kind = UploadError::Kind::ProtocolViolation);
    void closeFile();

    Awaiting awaiting() const { return m_awaiting; }
    QString awaitingText() const;
    const UploadError &failure() const { return m_failure; }

    qint64 rowsSkipped() const { return m_rowsSkipped; }
    qint64 betsSent() const { return m_betsSent; }
    qint64 betsAcknowledged() const { return m_betsAcknowledged; }
    qint64 invalidRows() const { return m_invalidRows; }
    qint64 batchesSent() const { return m_batchesSent; }
    qint64 batchesAcknowledged() const { return m_batchesAcknowledged; }
    qint64 duplicateBatches() const { return m_duplicateBatches; }
    int batchesInFlight() const { return static_cast<int>(m_inFlight.size()); }
    quint64 serverLastSequence() const { return m_serverLastSequence; }
    quint64 serverStoredBets() const { return m_serverStoredBets; }
    quint64 firstStoredBets() const { return m_firstStoredBets; } // the first WELCOME's
    quint64 nextSequence() const { return m_nextSequence; }
    QStringList winners() const { return m_winners; }
    // The highest version HELLO offers (the next connection's).
    quint16 offeredVersion() const { return m_options.protocolVersion; }
    void setOfferedVersion(quint16 version) { m_options.protocolVersion = version; }
    // The version WELCOME agreed (0 before the first WELCOME).
    quint16 protocolVersion() const { return m_protocolVersion; }
    // The last receipt (version 2), checked against the file; invalid under version 1.
    const UploadReceipt &receipt() const { return m_receipt; }
    // SuspiciousFile: the whole file's verdict (withholdDoneIfSuspicious).
    const BetFileCheck &fileCheck() const { return m_fileCheck; }
    qint64 bytesRead() const { return m_reader.bytesRead(); }
    qint64 fileSize() const { return m_reader.fileSize(); }

signals:
    void welcomed(quint64 lastSequence, quint64 storedBets);
    // WELCOME agreed on `version`; below what HELLO offered, the server is older (version 1:
    // resume by count, no receipts).
    void protocolAgreed(quint16 version, quint16 offered);
    // Version 2: the server's stored bets were checked against the file's first valid rows.
    void storedBetsVerified(quint64 storedBets);
    // Version 2: the file does not begin with the stored bets (rows corrected in place since):
    // they are listed (LIST_STORED) and looked for anywhere in the file.
    void listingStoredBets(quint64 storedBets);
    // ... and every one of them is a row of the file (the listing proved by WELCOME's digest):
    // the other `rowsToSend` valid rows are sent.
    void storedBetsMatched(quint64 storedBets, quint64 rowsToSend);
    void receiptReceived(const lottery::AgencyReceipt &receipt);
    // Version 2: the close of sales and its seal arrived, and this agency's head in it equals its
    // last receipt (else the upload fails with SealMismatch).
    void sealVerified(const lottery::protocol::Sealed &sealed);
    void invalidRow(qint64 line, const QString &reason);
    void batchSent(quint64 sequence, int count);
    void batchAcknowledged(quint64 sequence, int count, qint64 totalAcknowledged, bool duplicate);
    void uploadCompleted(); // DONE acknowledged: every valid bet is stored
    void winnersReceived(const QStringList &documents);

private:
    struct InFlight {
        quint64 sequence = 0;
        std::vector<qint64> lines; // file line of each bet, to name the one a REJECT points at
        quint64 storedBetsAfter = 0; // what its receipt must say (version 2)
        protocol::Digest digestAfter {};
    };

    Status fail(UploadError::Kind kind, const QString &message,
        std::optional<protocol::ErrorCode> code = std::nullopt);
    void send(const protocol::Message &message);
    Status handleWelcome(const protocol::Welcome &welcome);
    Status handleAck(const protocol::Ack &ack);
    Status handleReceipt(const protocol::Receipt &receipt);
    Status handleSealed(const protocol::Sealed &sealed);
    Status checkSkippedRows();
    // The file does not begin with the stored bets: list them and match them by content.
    Status startMatching();
    Status readForMatching(int rowBudget);
    void requestStoredBets();
    Status handleStoredList(const protocol::StoredList &list);
    Status finishMatching();
    void reportInvalidRow(const BetRowView &row);
    Status handleReject(const protocol::Reject &reject);
    Status handleWinners(const protocol::Winners &winners);
    bool windowHasRoom() const;
    void sendBatch();
    Status sendDone();
    Status failSuspiciousFile();
    Status readyOrWaiting() const;

    UploadPumpOptions m_options;
    FrameSink m_sink;
    BetFileReader m_reader;
    // The next BATCH frame, encoded bet by bet as rows are read (no Bet objects on the way).
    protocol::BatchFrameEncoder m_encoder;
    std::vector<qint64> m_encoderLines; // file line of each bet in m_encoder
    // Read but not fitting in the current batch (or the window was full). Its fields view the
    // reader's buffer, valid because the reader is not advanced until it is encoded.
    std::optional<protocol::BetView> m_pendingBet;
    qint64 m_pendingLine = 0;
    std::deque<InFlight> m_inFlight;
    std::string m_frame; // reused for every outgoing frame but BATCH

    Awaiting m_awaiting = Awaiting::Nothing;
    UploadError m_failure;
    quint64 m_nextSequence = 1;
    quint64 m_toSkip = 0;
    bool m_fileExhausted = false;
    bool m_doneSent = false;
    bool m_countSkips = true; // false after a reconnection: those rows were counted as acked
    bool m_welcomedBefore = false;
    quint64 m_firstStoredBets = 0; // storedBets of the first WELCOME
    qint64 m_lastReportedInvalidLine = 0; // a reconnection rereads the file: report each once
    QStringList m_winnerChunks;

    quint64 m_serverLastSequence = 0;
    quint64 m_serverStoredBets = 0;
    qint64 m_rowsSkipped = 0;
    qint64 m_betsSent = 0;
    qint64 m_betsAcknowledged = 0;
    qint64 m_invalidRows = 0;
    qint64 m_batchesSent = 0;
    qint64 m_batchesAcknowledged = 0;
    qint64 m_duplicateBatches = 0;
    QStringList m_winners;

    quint16 m_protocolVersion = 0;
    // Version 2: WELCOME's digest, checked once the skipped rows are read; then the running
    // digest of the file's bets as sent, each batch's receipt checked against it.
    protocol::Digest m_welcomeDigest {};
    bool m_skipVerified = true;
    // How this connection resumes: skipping the first storedBets valid rows (proved by the
    // digest), or, when those are not the stored bets, by content (StoredBetsMatch).
    enum class Resume { ByPrefix, ReadingFile, Listing, ByContent };
    Resume m_resume = Resume::ByPrefix;
    std::unique_ptr<StoredBetsMatch> m_match;
    quint64 m_listNext = 0; // the next stored bet the listing gives
    quint64 m_listRequestEnd = 0; // the end of the LIST_STORED in flight
    qint64 m_prefixSkipsCounted = 0; // rowsSkipped counted by this connection's prefix pass
    RunningDigest m_fileDigest;
    UploadReceipt m_receipt;
    std::optional<protocol::Sealed> m_sealed;
    // Version 2: the first REJECT(sales_closed); the winners are asked for, then the upload
    // fails with it.
    std::optional<protocol::Reject> m_salesClosed;
    // withholdDoneIfSuspicious: every row read this connection, judged at the end of the file;
    // DONE withheld once the verdict is "suspicious", the failure reported when the batches
    // in flight are settled (so that the count told to the person is the server's).
    BetFileInspector m_inspector;
    BetFileCheck m_fileCheck;
    bool m_doneWithheld = false;

public:
    // The seal the server sent with the winners (version 2), once verified.
    const std::optional<protocol::Sealed> &sealed() const { return m_sealed; }
};

} // namespace lottery::agency
