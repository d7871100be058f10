// The file store's journal (`bets.csv.journal`): its record format, and recovery's rule for what
// it finds at startup.
//
// The rule: only a torn tail is repaired, because only a torn tail can be what a crash left. A
// write appends the CSV rows of a job's batches, then their journal records (one pwrite each),
// then fdatasyncs bets.csv and the journal; nothing is acknowledged before both syncs return. So
// what lies past the last write that was synced was never acknowledged, and a crash can leave
// there only: a partial journal record at the end (a pwrite cut short), journal bytes never
// written (zeros), batch records whose rows run past the end of bets.csv (the journal reached
// the disk, bets.csv did not), and rows that no record covers yet (bets.csv written, its records
// not). Everything else (a damaged record, a checksum mismatch, a record that does not follow
// the one before it, a missing journal beside rows, rows no interrupted write could have left,
// changed line ends) is a person or a disk: recovery refuses it and changes nothing, and
// `lottery-server --repair` moves what it cannot vouch for into side files (docs/RELIABILITY.md).
// Even a torn tail is moved into side files rather than deleted.
#pragma once

#include <QHash>
#include <QString>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace lottery::server::journal {

// Fixed size of a record on disk.
inline constexpr std::size_t kRecordSize = 48;
// A batch is one frame of bets: its CSV form cannot be anywhere near this. Larger means garbage.
inline constexpr quint64 kMaxBatchCsvBytes = 1u << 20;
// The most rows past the journal's last record that unsynced writes can leave. A store job holds
// at most one session's task of 64 frames of 8 KiB, or requests worth 8192 bets (StoreJobQueue);
// a bet's CSV row is under 3 times its frame bytes (quotes doubled, the agency and commas added):
// under 1.5 MiB of rows per write. At most one write per worker is unsynced, and a server has at
// most 10 workers. More than this is a journal that lost records, not a crash.
inline constexpr quint64 kMaxUncoveredCsvBytes = 16u << 20;

// Values 7..9 are reserved; a kind this program does not know stops the start as damage, so an
// older server never half-reads a newer store.
enum class RecordKind : quint8 {
    Batch = 1, // a stored batch: agency, sequence, its rows' offset, length, bet count and CRC
    Done = 2, // the agency's DONE
    Identity = 3, // the lottery's identity: `sequence` holds the expected agency count
    // The close of sales: `agency` holds the reason (protocol::CloseReason), `sequence` the time
    // (ms since the epoch, UTC), `csvOffset` where bets.csv ended (every row before it is
    // sealed), `betCount` the agencies done. Always followed, in the same write, by:
    Close = 4,
    // The seal of that close: bytes 8..39 hold its root (docs/AUDIT.md) instead of the fields.
    Seal = 5,
    // The operator's switch of an agency, before the close: `agency` the agency, `sequence` the
    // time (ms since the epoch, UTC), `csvOffset` where bets.csv ended, `betCount` 0 disabled,
    // 1 enabled. The last one of an agency holds; none: enabled.
    AgencySwitch = 6,
};

struct Record {
    RecordKind kind = RecordKind::Batch;
    quint32 agency = 0;
    quint64 sequence = 0;
    quint64 csvOffset = 0;
    quint64 csvLength = 0;
    quint32 betCount = 0;
    quint32 csvCrc = 0;
    std::array<std::uint8_t, 32> digest {}; // Seal: the root
};

// What the journal says of the close of sales, when it has one.
struct CloseSummary {
    quint8 reason = 0;
    qint64 closedAtMs = 0;
    quint64 csvEnd = 0; // the sealed rows are bets.csv's bytes before it
    quint32 agenciesDone = 0;
    std::array<std::uint8_t, 32> root {};
};

// The record of the operator's switch of `agency` at `atMs`.
Record agencySwitchRecord(quint32 agency, bool enabled, qint64 atMs);

// The close and seal records of a close of sales (written together, after every row).
Record closeRecord(const CloseSummary &close);
Record sealRecord(const std::array<std::uint8_t, 32> &root);

// The store's file I/O, shared by recovery and FileBetStore. strerror(error) as a QString.
QString errnoText(int error);
// Writes all of `bytes` at `offset` (retrying short and interrupted writes); false with *error.
bool writeAt(int fd, std::string_view bytes, quint64 offset, QString *error);
// Reads exactly `size` bytes at `offset` (retrying short reads); false with *error otherwise.
bool readAt(int fd, std::string *bytes, quint64 offset, quint64 size, QString *error);

std::string encode(const Record &record);
// Why a record's bytes do not decode, or empty when they do.
QString decode(const char *bytes, Record *record);
quint32 crc32Of(const char *data, std::size_t size);
// The identity record for `agencies`, written when bets.csv ends at `csvEnd`.
Record identityRecord(quint32 agencies, quint64 csvEnd);

// Reads a store's two files and decides what recovery may do with them. Never writes.
class Replay
{
public:
    enum class Verdict {
        Clean, // every byte is vouched for
        TornTail, // the files end in what a crash leaves: keptCsv/keptJournal is the good prefix
        Damaged, // anything else: damage() says where; keptCsv/keptJournal is the prefix before it
        Failed, // an I/O error, or the visitor refused a record: error()
    };
    struct AgencySummary {
        quint64 batches = 0; // index of the last stored sequence
        quint64 bets = 0;
        bool done = false;
        bool disabled = false; // the operator's last switch of it disabled it
    };
    struct Damage {
        QString file; // the damaged file's path
        quint64 offset = 0; // byte offset in it
        quint32 agency = 0; // the agency affected (0: none can be named)
        quint64 sequence = 0; // its first batch sequence that can no longer be vouched for
        QString problem; // what is wrong, in one sentence
    };
    // Called for every record of the good prefix, in order: a batch with its rows, whose checksum
    // matched. False (with *error) is a defect that stops the start (Verdict::Failed).
    using Visit = std::function<bool(const Record &record, std::string_view rows, QString *error)>;

    // A descriptor of -1 is a missing file (see openStoreFiles). The descriptors stay the
    // caller's.
    Replay(QString csvPath, int csvFd, QString journalPath, int journalFd);

    Verdict run(const Visit &visit = {});

    quint64 csvSize() const { return m_csvSize; }
    quint64 journalSize() const { return m_journalSize; }
    quint64 keptCsv() const { return m_keptCsv; }
    quint64 keptJournal() const { return m_keptJournal; }
    quint64 records() const { return m_records; } // records in the good prefix
    // The expected agency count the last identity record of the prefix holds.
    std::optional<quint32> identity() const { return m_identity; }
    // The close of sales in the prefix (a close and its seal), if any.
    const std::optional<CloseSummary> &close() const { return m_close; }
    const QHash<quint32, AgencySummary> &agencies() const { return m_agencies; }
    const Damage &damage() const { return m_damage; }
    QString error() const { return m_error; }
    // TornTail: what the tail held and why it cannot hold an acknowledged bet.
    QString tailDescription() const { return m_tail; }
    // What lies past the good prefix, per agency: the batch sequences its records name and the
    // rows it holds, e.g. "agency 2: sequences 16-30, 1500 rows; agency 3: ...". Empty: nothing.
    QString beyondPrefix() const { return m_beyond; }

private:
    Verdict damaged(const QString &file, quint64 offset, quint32 agency, quint64 sequence,
        const QString &problem);
    // Records from `offset` on whose rows run past the end of bets.csv: a tail when every record
    // after it continues the chain (batches of one agency together), else damage.
    Verdict checkRecordsPastEnd(std::size_t offset, quint64 chainStart);
    // Rows past the last record: a tail when an interrupted write could have left them.
    Verdict checkUncoveredRows();
    void describeBeyondPrefix();
    bool readCsv(quint64 offset, quint64 size, std::string *bytes);

    const QString m_csvPath;
    const int m_csvFd;
    const QString m_journalPath;
    const int m_journalFd;
    std::string m_journal;
    quint64 m_csvSize = 0;
    quint64 m_journalSize = 0;
    quint64 m_keptCsv = 0;
    quint64 m_keptJournal = 0;
    quint64 m_records = 0;
    std::optional<quint32> m_identity;
    std::optional<CloseSummary> m_close;
    bool m_tornClose = false; // the last whole record is a close without its seal
    QHash<quint32, AgencySummary> m_agencies;
    Damage m_damage;
    QString m_error;
    QString m_tail;
    QString m_beyond;
};

// Opens bets.csv and its journal for reading and writing. A missing file is created only when the
// other one is missing or empty too (a new store, or one whose files are both empty): a missing
// file beside data is damage, which recovery must find again at every start rather than see an
// empty file it created itself. A file left missing gets -1. Syncs the directory when it created
// a file. False with *error on an I/O error (nothing open then).
bool openStoreFiles(
    const QString &csvPath, const QString &journalPath, int *csvFd, int *journalFd, QString *error);

// Cuts both files to the good prefix and syncs them (`sync`: fdatasync or the store's own); a
// missing file (-1) is left alone.
bool truncateToPrefix(const Replay &replay, int csvFd, int journalFd,
    const std::function<int(int)> &sync, QString *error);

// Appends `record` at `journalEnd` and syncs the journal.
bool appendRecord(int journalFd, quint64 journalEnd, const Record &record,
    const std::function<int(int)> &sync, QString *error);

// Moves everything past the good prefix into side files beside the store (`<file><suffix>`),
// never deleting a byte, then cuts the files to the prefix and syncs them with `sync`. Used by
// `lottery-server --repair` (suffix `.damaged-<UTC time>`) and by the start's own tail repair
// (`.torn-<UTC time>`).
struct RepairResult {
    bool ok = false;
    QString csvSideFile; // empty: nothing moved from bets.csv
    quint64 csvMoved = 0;
    QString journalSideFile;
    quint64 journalMoved = 0;
    QString error;
};
RepairResult moveBeyondPrefix(const Replay &replay, const QString &csvPath, int csvFd,
    const QString &journalPath, int journalFd, const QString &suffix,
    const std::function<int(int)> &sync);
// A side-file suffix: `.<what>-<UTC time to the millisecond>`.
QString sideFileSuffix(const QString &what);

} // namespace lottery::server::journal
