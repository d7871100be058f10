// The embedded BetStore: `bets.csv` (pure CSV, the course's layout) and `bets.csv.journal` beside
// it, one fixed-size checksummed record per stored batch (agency, sequence, offset, length, bet
// count, CRC-32 of its rows), per DONE, and one recording the lottery's identity (the expected
// agency count) before any row. Recovery at open() repairs only a torn tail and refuses anything
// else (journal_replay.h).
//
// Write order per append: CSV bytes, journal records, fdatasync CSV, fdatasync journal; only then
// does append() answer Stored. Workers commit as a group: whoever needs a sync either runs one
// fdatasync pair covering everything written so far or waits for the one in progress to cover it.
// After a failed fdatasync the kernel may have dropped the dirty pages, so the store refuses every
// later write rather than acknowledge data it cannot vouch for.
//
// Every agency's state (the (count, CRC) of each stored sequence, stored bets, DONE, writes not
// yet settled) lives under one mutex with the files' ends, so each decision is taken atomically
// with the write that makes it true.
#pragma once

#include "common/bet_digest.h"
#include "server/storage/batch_rules.h"
#include "server/storage/bet_store.h"
#include "server/storage/journal_replay.h"

#include <QMutex>
#include <QString>
#include <QWaitCondition>

#include <functional>
#include <vector>

namespace lottery::server {

class FileBetStore final : public BetStore
{
public:
    // Makes written bytes durable: 0, or -1 with errno set, like fdatasync(2) (which is the
    // default). Part of the constructor so that a deployment can choose another (e.g. fsync on a
    // file system whose fdatasync is unreliable) and tests can inject EIO through the real path.
    using SyncFunction = std::function<int(int fd)>;

    // Fixed size of a journal record on disk.
    static constexpr std::size_t kJournalRecordSize = journal::kRecordSize;
    // How long a writer waits for someone else's fdatasync before the store gives up.
    static constexpr int kSyncWaitMs = 30000;

    // `expectedAgencies`: agencies 1..N must all say DONE before draw() completes.
    FileBetStore(const QString &csvPath, quint32 expectedAgencies, SyncFunction sync = {});
    ~FileBetStore() override;
    FileBetStore(const FileBetStore &) = delete;
    FileBetStore &operator=(const FileBetStore &) = delete;

    bool open() override;
    QString errorString() const override;
    QString describe() const override;
    bool keepsDigests() const override { return true; }
    bool listsStoredBets() const override { return true; }

    // Never waits (`deadline` unused): a write returns only once durable or once it latched
    // the store, so what it left in memory is the durable state.
    std::optional<AgencyProgress> welcome(
        quint32 agency, QDeadlineTimer deadline, QString *error) override;
    // One write and one (group) commit for every request of the job.
    std::vector<StoreAnswer> apply(std::vector<StoreRequest> requests) override;
    bool combinesRequests() const override { return true; }
    QHash<quint32, AgencyProgress> durableProgress() const override;
    CloseDecision closeSales(protocol::CloseReason reason, qint64 atMs) override;
    // A journal record (kind 6) written and synced like the close's; refused after the close.
    AgencySwitchDecision setAgencyEnabled(quint32 agency, bool enabled, qint64 atMs) override;
    QSet<quint32> disabledAgencies() const override;
    // Reads the rows from bets.csv, where the agency's batch records say they are (no bet is
    // kept in memory for this).
    bool readStoredBets(quint32 agency, quint64 from, quint32 count,
        std::vector<protocol::Bet> *bets, QString *error) const override;
    DrawResult draw() override;
    bool hasFailed() const override;
    void requestStop() override;
    void close() override;
    Stats stats() const override;

private:
    QString journalPath() const { return m_csvPath + QStringLiteral(".journal"); }

    // The record format and recovery's rule live in journal_replay.h.
    using RecordKind = journal::RecordKind;
    using JournalRecord = journal::Record;
    // One agency as written (durable once no write of it is in flight and the store has not
    // failed: every write is synced or latches the store before it returns).
    // What a receipt for a stored batch says (index: sequence - 1, beside `batches`).
    struct BatchReceipt {
        quint64 storedBets = 0; // through this batch
        protocol::Digest digest {};
        quint64 csvOffset = 0; // where its rows are in bets.csv (LIST_STORED reads them there)
        quint64 csvLength = 0;
    };
    struct AgencyState {
        std::vector<BatchPrint> batches; // index: sequence - 1
        std::vector<BatchReceipt> receipts; // index: sequence - 1
        RunningDigest digest; // over every stored bet of the agency, in order
        quint64 storedBets = 0;
        bool done = false;
        bool disabled = false; // the operator's last switch (journal kind 6) disabled it
        quint64 switchGeneration = 0; // the write of that switch
        quint64 lastWriteGeneration = 0; // the write a decision about this agency depends on
    };
    // Winners written but not yet covered by a sync.
    struct PendingWinners {
        quint64 generation = 0;
        quint64 bets = 0;
        quint32 agency = 0;
        std::vector<std::string> documents;
    };
    // What the requests of one apply() will write, gathered under the lock.
    struct PendingWrite {
        std::vector<JournalRecord> records;
        std::vector<std::string_view> rows; // the stored batches' rows, in record order
        std::vector<PendingWinners> winners;
        std::vector<BatchDecision *> stored; // decisions that become Failed if the write fails
        quint64 csvBytes = 0; // the rows' bytes so far
    };
    struct WriteOutcome {
        bool ok = false;
        QString error;
        quint64 generation = 0;
    };

    static std::string encodeRecord(const JournalRecord &record) { return journal::encode(record); }

    // Recovery (journal::Replay decides; this applies its verdict and the lottery's identity).
    bool replayJournal();
    // False (logged) when the store records another agency count than the configured one.
    bool checkIdentityLocked(const journal::Replay &replay);
    // Records the configured agency count in a store that has none (new, or older than it).
    bool recordIdentityLocked();
    // The close of sales over the state as it is now: every agency's head and the root.
    SalesClose sealLocked(protocol::CloseReason reason, qint64 atMs) const;
    // The journal records of `close` (a close and its seal), to write in one write.
    static std::vector<JournalRecord> closeRecords(const SalesClose &close, quint64 csvEnd);
    // After recovery: the recorded close checked against the bets it sealed (the root is
    // recomputed from the rows), and a store whose agencies were all done before closes
    // existed gets its close now. False with m_error: the seal does not match its bets.
    bool restoreCloseLocked(const std::optional<journal::CloseSummary> &recorded);
    struct RecoveredWinners {
        WinnersByAgency byAgency;
        quint64 count = 0;
    };
    // One recovered batch's rows (checksummed, in the good prefix), read once during
    // replayJournal()'s single read of the store: its winners, its agency's running digest and
    // receipts. False with *error: a row is not a bet row, or the count is not the record's.
    bool recoverBatchRows(AgencyState &agency, const JournalRecord &record, std::string_view rows,
        RecoveredWinners &winners, QString *error) const;
    AgencyProgress progressOf(const AgencyState &state) const;
    // Decides one request's batches against `state`, adding the ones to store to `write`.
    // `csvEnd`: where bets.csv ends before `write` (its rows go after it, in record order).
    static void decideBatchesLocked(AgencyState &state, quint32 agency, const StoreRequest &request,
        bool salesClosed, quint64 csvEnd, PendingWrite &write,
        std::vector<BatchDecision> &decisions);
    // Appends `rows` (in the order of the batch records, whose csvLength values they match) and
    // `records` under one generation. Lock held.
    WriteOutcome writeLocked(std::vector<JournalRecord> records,
        const std::vector<std::string_view> &rows, std::vector<PendingWinners> winners);
    void setDoneLocked(quint32 agency, AgencyState &state);
    void unsetDoneLocked(quint32 agency, AgencyState &state);
    // Waits (lock held, released while syncing or waiting) until `generation` is durable.
    bool waitDurable(QMutexLocker<QMutex> &locker, quint64 generation, QString *error);
    void promoteWinnersThrough(quint64 generation);
    void markFailed(const QString &reason);
    bool allDoneLocked() const;
    // Why a write cannot start now, or empty.
    QString refusalLocked() const;

    const QString m_csvPath;
    const quint32 m_expectedAgencies;
    mutable QMutex m_mutex;
    QWaitCondition m_syncDone; // a sync finished
    int m_csvFd = -1;
    int m_journalFd = -1;
    quint64 m_csvEnd = 0;
    quint64 m_journalEnd = 0;
    quint64 m_writeGeneration = 0; // writes made so far
    quint64 m_syncedGeneration = 0; // writes covered by a completed sync
    bool m_syncInProgress = false;
    bool m_failed = false;
    bool m_stopping = false;
    QString m_failure;
    QString m_error;
    QHash<quint32, AgencyState> m_agencies;
    std::optional<SalesClose> m_close; // set (under the lock) once written: no batch after it
    std::optional<journal::CloseSummary> m_recoveredClose; // what the journal held, at open
    quint32 m_doneAgencies = 0; // of agencies 1..m_expectedAgencies: allDoneLocked() in O(1)
    WinnersByAgency m_durableWinners;
    quint64 m_durableBets = 0;
    quint64 m_durableWinnerCount = 0;
    std::vector<PendingWinners> m_pendingWinners; // in generation order
    const SyncFunction m_sync;
    Stats m_stats;
};

} // namespace lottery::server
