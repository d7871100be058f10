// Durable, append-only storage of the bets: `bets.csv` (pure CSV, the course's layout) and
// `bets.csv.journal` beside it, one fixed-size checksummed record per stored batch and per DONE.
//
// Write order per batch: CSV bytes, journal record, fdatasync CSV, fdatasync journal; only then
// may the batch be acknowledged. Workers commit as a group: whoever needs a sync either runs one
// fdatasync pair covering everything written so far or waits for the one in progress to cover it.
// After a failed fdatasync the kernel may have dropped the dirty pages, so the storage refuses
// every later write rather than acknowledge data it cannot vouch for.
//
// Thread-safe: every public function may be called from any thread after open().
#pragma once

#include "server/lottery_state.h"

#include "lottery/protocol/bet_csv.h"
#include "lottery/protocol/messages.h"

#include <QHash>
#include <QMutex>
#include <QString>
#include <QWaitCondition>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace lottery::server {

// What open() found on disk.
struct StorageRecovery {
    QHash<quint32, AgencyProgress> agencies;
    quint64 records = 0; // good journal records replayed
    quint64 bets = 0; // bets in the good prefix of bets.csv
    quint64 truncatedBytes = 0; // journal + CSV bytes dropped as a torn tail
    quint64 csvSize = 0; // bets.csv size after recovery
    quint64 journalSize = 0; // journal size after recovery
};

class BetStorage
{
public:
    // Runs one sync step on a file descriptor; returns 0, or -1 with errno set (like fdatasync).
    using SyncFunction = std::function<int(int fd)>;

    struct WriteResult {
        bool ok = false;
        QString error; // why nothing may be acknowledged
    };

    // Fixed size of a journal record on disk.
    static constexpr std::size_t kJournalRecordSize = 48;
    // How long a worker waits for someone else's fdatasync before giving up on its batch.
    static constexpr int kSyncWaitMs = 30000;

    explicit BetStorage(const QString &csvPath);
    ~BetStorage();
    BetStorage(const BetStorage &) = delete;
    BetStorage &operator=(const BetStorage &) = delete;

    // Opens (creating if needed) both files and replays the journal, truncating a torn tail.
    bool open();
    QString errorString() const;
    StorageRecovery recovery() const;

    QString csvPath() const { return m_csvPath; }
    QString journalPath() const { return m_csvPath + QStringLiteral(".journal"); }

    // Appends a batch and returns once it is durable (or failed: then nothing may be acked).
    WriteResult appendBatch(
        quint32 agency, quint64 sequence, const std::vector<protocol::Bet> &bets);
    // Records DONE for the agency, durably.
    WriteResult appendDone(quint32 agency);

    // appendBatch() in two steps, so that one worker can write several batches and wait for a
    // single sync covering all of them. Nothing written may be acknowledged before syncThrough()
    // of its generation (or a later one) has succeeded.
    struct PendingWrite {
        bool ok = false;
        QString error;
        quint64 generation = 0; // pass to syncThrough()
    };
    PendingWrite writeBatch(
        quint32 agency, quint64 sequence, const std::vector<protocol::Bet> &bets);
    WriteResult syncThrough(quint64 generation);

    // One batch already in its bets.csv form, for writeBatches().
    struct EncodedBatch {
        quint64 sequence = 0;
        quint32 betCount = 0;
        std::string_view csv; // its rows, exactly as they go into bets.csv
        std::vector<std::string> winners; // documents of its winning bets, in row order
    };
    // Writes consecutive batches of one agency with one write per file (each batch keeps its
    // own journal record and checksum); like writeBatch(), nothing is durable before syncThrough().
    PendingWrite writeBatches(quint32 agency, const std::vector<EncodedBatch> &batches);

    // The bets of the durable part of bets.csv, in file order.
    bool readDurableBets(std::vector<protocol::StoredBet> *bets, QString *error) const;

    // The winning bets of the durable part of bets.csv, per agency in file order, and how many
    // bets that part holds. Kept as writes become durable (and rebuilt from the files by open(),
    // which reads every stored batch anyway to check its checksum), so the draw need not read
    // the whole file back.
    struct DurableWinners {
        WinnersByAgency winners;
        quint64 bets = 0;
        quint64 winnerCount = 0;
    };
    DurableWinners durableWinners() const;

    bool hasFailed() const;

    // What was written so far, for the shutdown summary and the benchmark.
    struct Stats {
        quint64 batches = 0; // batch records appended
        quint64 bets = 0;
        quint64 bytes = 0; // CSV bytes appended
        quint64 commits = 0; // group commits: one fdatasync of each file, covering many writes
        quint64 fdatasyncs = 0; // fdatasync calls made by those commits
    };
    Stats stats() const;
    // Wakes waiters and refuses further writes: the server is stopping.
    void requestStop();
    // Closes the files (waiting briefly for a sync in progress).
    void close();

    // Test hook: replaces fdatasync (e.g. to simulate EIO).
    void setSyncFunctionForTesting(SyncFunction function);

private:
    enum class RecordKind : quint8 { Batch = 1, Done = 2 };
    struct JournalRecord {
        RecordKind kind = RecordKind::Batch;
        quint32 agency = 0;
        quint64 sequence = 0;
        quint64 csvOffset = 0;
        quint64 csvLength = 0;
        quint32 betCount = 0;
        quint32 csvCrc = 0;
    };

    static std::string encodeRecord(const JournalRecord &record);
    static bool decodeRecord(const char *bytes, JournalRecord *record);

    // Winners written but not yet covered by a sync.
    struct PendingWinners {
        quint64 generation = 0;
        quint64 bets = 0;
        quint32 agency = 0;
        std::vector<std::string> documents;
    };

    bool replayJournal();
    WriteResult append(const JournalRecord &base, const std::string &csvBytes);
    // Appends `csvBytes` and one journal record per entry of `records` (whose csvLength values
    // add up to csvBytes' size), under one generation.
    PendingWrite write(
        std::vector<JournalRecord> records, std::string_view csvBytes, PendingWinners winners);
    WriteResult waitDurable(QMutexLocker<QMutex> &locker, quint64 generation);
    void promoteWinnersThrough(quint64 generation);
    void markFailed(const QString &reason);

    const QString m_csvPath;
    mutable QMutex m_mutex;
    QWaitCondition m_syncDone;
    int m_csvFd = -1;
    int m_journalFd = -1;
    quint64 m_csvEnd = 0;
    quint64 m_journalEnd = 0;
    quint64 m_durableCsvEnd = 0;
    quint64 m_writeGeneration = 0; // writes made so far
    quint64 m_syncedGeneration = 0; // writes covered by a completed sync
    bool m_syncInProgress = false;
    bool m_failed = false;
    bool m_stopping = false;
    QString m_failure;
    QString m_error;
    StorageRecovery m_recovery;
    DurableWinners m_durableWinners;
    std::vector<PendingWinners> m_pendingWinners; // in generation order
    SyncFunction m_sync;
    Stats m_stats;
};

} // namespace lottery::server
