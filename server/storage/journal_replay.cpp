#include "server/storage/journal_replay.h"

#include "common/stored_bet_row.h"
#include "lottery/protocol/byte_order.h"

#include <QDateTime>
#include <QFileInfo>
#include <QMap>
#include <QSet>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace lottery::server::journal {

namespace {

constexpr quint32 kMagic = 0x4C544A31; // "LTJ1"
constexpr std::size_t kRecordCrcOffset = kRecordSize - 4;
// Rows past the prefix are read in pieces of this size (the store may be gigabytes).
constexpr quint64 kReadChunk = 1u << 20;

std::optional<quint64> fileSize(int fd)
{
    struct stat info = {};
    if (::fstat(fd, &info) != 0)
        return std::nullopt;
    return static_cast<quint64>(info.st_size);
}

// The agency number a row starts with, or 0 when it does not start with one.
quint32 leadingAgency(std::string_view line)
{
    quint64 value = 0;
    std::size_t i = 0;
    for (; i < line.size() && i < 10 && line[i] >= '0' && line[i] <= '9'; ++i)
        value = value * 10 + static_cast<quint64>(line[i] - '0');
    if (i == 0 || i >= line.size() || line[i] != ',' || value > 0xFFFFFFFFu)
        return 0;
    return static_cast<quint32>(value);
}

// Calls `visit(offset, line, complete)` for each line of bets.csv from `from` to `to`, reading it
// in pieces; a last line without '\n' comes with complete = false. Stops when visit is false.
template<typename Visit>
bool forEachLine(int fd, quint64 from, quint64 to, QString *error, const Visit &visit)
{
    std::string carry;
    quint64 carryOffset = from;
    std::string chunk;
    for (quint64 at = from; at < to;) {
        const quint64 size = std::min<quint64>(kReadChunk, to - at);
        if (!readAt(fd, &chunk, at, size, error))
            return false;
        at += size;
        carry += chunk;
        std::size_t start = 0;
        while (true) {
            const std::size_t newline = carry.find('\n', start);
            if (newline == std::string::npos)
                break;
            if (!visit(carryOffset + start,
                    std::string_view(carry).substr(start, newline + 1 - start), true))
                return true;
            start = newline + 1;
        }
        carry.erase(0, start);
        carryOffset += start;
    }
    if (!carry.empty())
        visit(carryOffset, std::string_view(carry), false);
    return true;
}

QString bytesRange(quint64 offset, quint64 length)
{
    return QStringLiteral("bytes %1-%2").arg(offset).arg(offset + length - 1);
}

} // namespace

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

bool writeAt(int fd, std::string_view bytes, quint64 offset, QString *error)
{
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::pwrite(
            fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *error = errnoText(errno);
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

bool readAt(int fd, std::string *bytes, quint64 offset, quint64 size, QString *error)
{
    bytes->resize(size);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n
            = ::pread(fd, bytes->data() + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            *error = errnoText(errno);
            return false;
        }
        if (n == 0) {
            *error = QStringLiteral("unexpected end of file");
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

quint32 crc32Of(const char *data, std::size_t size)
{
    return static_cast<quint32>(
        ::crc32(0L, reinterpret_cast<const Bytef *>(data), static_cast<uInt>(size)));
}

std::string encode(const Record &record)
{
    std::string out;
    out.reserve(kRecordSize);
    protocol::appendU32(out, kMagic);
    protocol::appendU8(out, static_cast<std::uint8_t>(record.kind));
    out.append(3, '\0');
    if (record.kind == RecordKind::Seal) {
        out.append(reinterpret_cast<const char *>(record.digest.data()), record.digest.size());
        protocol::appendU32(out, record.csvCrc);
        protocol::appendU32(out, crc32Of(out.data(), out.size()));
        return out;
    }
    protocol::appendU32(out, record.agency);
    protocol::appendU64(out, record.sequence);
    protocol::appendU64(out, record.csvOffset);
    protocol::appendU64(out, record.csvLength);
    protocol::appendU32(out, record.betCount);
    protocol::appendU32(out, record.csvCrc);
    protocol::appendU32(out, crc32Of(out.data(), out.size()));
    return out;
}

QString decode(const char *bytes, Record *record)
{
    if (protocol::loadU32(bytes) != kMagic)
        return QStringLiteral("it does not start with the record mark");
    if (protocol::loadU32(bytes + kRecordCrcOffset) != crc32Of(bytes, kRecordCrcOffset))
        return QStringLiteral("its checksum does not match its bytes");
    const auto kind = static_cast<quint8>(bytes[4]);
    if (kind != static_cast<quint8>(RecordKind::Batch)
        && kind != static_cast<quint8>(RecordKind::Done)
        && kind != static_cast<quint8>(RecordKind::Identity)
        && kind != static_cast<quint8>(RecordKind::Close)
        && kind != static_cast<quint8>(RecordKind::Seal)
        && kind != static_cast<quint8>(RecordKind::AgencySwitch)) {
        return QStringLiteral("its kind %1 is unknown to this lottery-server (a newer one wrote "
                              "it: run that one)")
            .arg(kind);
    }
    record->kind = static_cast<RecordKind>(kind);
    if (record->kind == RecordKind::Seal) {
        std::copy(bytes + 8, bytes + 40, record->digest.begin());
        record->csvCrc = protocol::loadU32(bytes + 40);
        return QString();
    }
    record->agency = protocol::loadU32(bytes + 8);
    record->sequence = protocol::loadU64(bytes + 12);
    record->csvOffset = protocol::loadU64(bytes + 20);
    record->csvLength = protocol::loadU64(bytes + 28);
    record->betCount = protocol::loadU32(bytes + 36);
    record->csvCrc = protocol::loadU32(bytes + 40);
    return QString();
}

Record closeRecord(const CloseSummary &close)
{
    Record record;
    record.kind = RecordKind::Close;
    record.agency = close.reason;
    record.sequence = static_cast<quint64>(close.closedAtMs);
    record.csvOffset = close.csvEnd;
    record.betCount = close.agenciesDone;
    record.csvCrc = crc32Of(nullptr, 0);
    return record;
}

Record agencySwitchRecord(quint32 agency, bool enabled, qint64 atMs)
{
    Record record;
    record.kind = RecordKind::AgencySwitch;
    record.agency = agency;
    record.sequence = static_cast<quint64>(atMs);
    record.betCount = enabled ? 1 : 0;
    record.csvCrc = crc32Of(nullptr, 0);
    return record;
}

Record sealRecord(const std::array<std::uint8_t, 32> &root)
{
    Record record;
    record.kind = RecordKind::Seal;
    record.digest = root;
    return record;
}

Record identityRecord(quint32 agencies, quint64 csvEnd)
{
    Record record;
    record.kind = RecordKind::Identity;
    record.sequence = agencies;
    record.csvOffset = csvEnd;
    record.csvCrc = crc32Of(nullptr, 0);
    return record;
}

Replay::Replay(QString csvPath, int csvFd, QString journalPath, int journalFd)
    : m_csvPath(std::move(csvPath)), m_csvFd(csvFd), m_journalPath(std::move(journalPath)),
      m_journalFd(journalFd)
{
}

bool Replay::readCsv(quint64 offset, quint64 size, std::string *bytes)
{
    if (readAt(m_csvFd, bytes, offset, size, &m_error))
        return true;
    m_error = QStringLiteral("cannot read %1: %2").arg(m_csvPath, m_error);
    return false;
}

Replay::Verdict Replay::damaged(
    const QString &file, quint64 offset, quint32 agency, quint64 sequence, const QString &problem)
{
    m_damage = Damage {file, offset, agency, sequence, problem};
    describeBeyondPrefix();
    return Verdict::Damaged;
}

Replay::Verdict Replay::run(const Visit &visit)
{
    const auto journalSize = m_journalFd < 0 ? std::optional<quint64>(0) : fileSize(m_journalFd);
    const auto csvSize = m_csvFd < 0 ? std::optional<quint64>(0) : fileSize(m_csvFd);
    if (!journalSize || !csvSize) {
        m_error = QStringLiteral("cannot stat the storage files: %1").arg(errnoText(errno));
        return Verdict::Failed;
    }
    m_journalSize = *journalSize;
    m_csvSize = *csvSize;
    if (!readAt(m_journalFd, &m_journal, 0, m_journalSize, &m_error)) {
        m_error = QStringLiteral("cannot read %1: %2").arg(m_journalPath, m_error);
        return Verdict::Failed;
    }
    if (m_csvFd < 0 && m_journalSize > 0) {
        Record first;
        const bool decodes
            = m_journalSize >= kRecordSize && decode(m_journal.data(), &first).isEmpty();
        return damaged(m_csvPath, 0, 0, 0,
            QStringLiteral("bets.csv is missing while its journal holds %1 bytes%2: the rows "
                           "it vouches for are gone (bets.csv was deleted or moved; a crash "
                           "cannot leave this)")
                .arg(m_journalSize)
                .arg(decodes ? QString() : QStringLiteral(" (not even a readable record)")));
    }
    if (m_journalSize == 0 && m_csvSize > 0) {
        // A store writes its journal's identity record before any row, and every row's record
        // right after it: rows with no journal at all are a deleted or replaced journal.
        quint32 firstAgency = 0;
        std::string firstLine;
        if (readCsv(0, std::min<quint64>(m_csvSize, 64), &firstLine))
            firstAgency = leadingAgency(firstLine);
        return damaged(m_journalPath, 0, firstAgency, 1,
            QStringLiteral("the journal is %1 while bets.csv holds %2 bytes of rows: no record "
                           "vouches for any of them (the journal was deleted or replaced; a "
                           "crash cannot leave this)")
                .arg(m_journalFd >= 0 ? QStringLiteral("empty") : QStringLiteral("missing"))
                .arg(m_csvSize));
    }

    quint64 csvEnd = 0;
    std::size_t pos = 0;
    std::string rows;
    while (pos + kRecordSize <= m_journalSize) {
        m_keptJournal = pos;
        m_keptCsv = csvEnd;
        const char *bytes = m_journal.data() + pos;
        const quint64 index = pos / kRecordSize + 1;
        Record record;
        const QString bad = decode(bytes, &record);
        if (!bad.isEmpty()) {
            if (std::all_of(m_journal.begin() + static_cast<std::ptrdiff_t>(pos), m_journal.end(),
                    [](char c) { return c == 0; })) {
                break; // the journal's end was allocated but never written: a crash's tail
            }
            // Its own fields may be what was damaged: name them as read, unverified.
            const quint32 agency = protocol::loadU32(bytes + 8);
            const quint64 sequence = protocol::loadU64(bytes + 12);
            const bool plausible = protocol::loadU32(bytes) == kMagic && agency > 0
                && agency <= 1000000 && sequence <= m_agencies.value(agency).batches + 1;
            return damaged(m_journalPath, pos, plausible ? agency : 0, plausible ? sequence : 0,
                QStringLiteral("journal record %1 (%2 of the journal) is damaged: %3%4; a "
                               "crash leaves at most a partial record at the end, not a whole "
                               "one")
                    .arg(index)
                    .arg(bytesRange(pos, kRecordSize), bad,
                        plausible ? QStringLiteral(" (it reads agency %1, sequence %2, "
                                                   "unverified)")
                                        .arg(agency)
                                        .arg(sequence)
                                  : QString()));
        }
        const AgencySummary current = m_agencies.value(record.agency);
        rows.clear();
        // A close is sealed in the same write: nothing may follow the pair.
        if (m_close && record.kind != RecordKind::Seal) {
            return damaged(m_journalPath, pos, record.kind == RecordKind::Batch ? record.agency : 0,
                record.kind == RecordKind::Batch ? record.sequence : 0,
                QStringLiteral("journal record %1 comes after the close of sales, which nothing "
                               "may follow (a store is never written after its close)")
                    .arg(index));
        }
        if (record.kind == RecordKind::Close) {
            if (record.csvOffset != csvEnd || record.agency < 1 || record.agency > 3) {
                return damaged(m_journalPath, pos, 0, 0,
                    QStringLiteral("journal record %1 is a close of sales that does not fit the "
                                   "store (reason %2, bets.csv ending at byte %3, here %4)")
                        .arg(index)
                        .arg(record.agency)
                        .arg(record.csvOffset)
                        .arg(csvEnd));
            }
            // The close and its seal go out in one write: a close without its seal at the very
            // end is that write cut short, never synced, so never acknowledged. So is one whose
            // seal reads as zeros to the end (allocated, never written: a power loss).
            if (pos + 2 * kRecordSize > m_journalSize
                || std::all_of(m_journal.begin() + static_cast<std::ptrdiff_t>(pos + kRecordSize),
                    m_journal.end(), [](char c) { return c == 0; })) {
                m_tornClose = true;
                break;
            }
            Record seal;
            if (!decode(m_journal.data() + pos + kRecordSize, &seal).isEmpty()
                || seal.kind != RecordKind::Seal) {
                return damaged(m_journalPath, pos + kRecordSize, 0, 0,
                    QStringLiteral("journal record %1, the close of sales, is not followed by "
                                   "its seal")
                        .arg(index));
            }
        } else if (record.kind == RecordKind::Seal) {
            if (!m_close || m_close->root != std::array<std::uint8_t, 32> {}) {
                return damaged(m_journalPath, pos, 0, 0,
                    QStringLiteral("journal record %1 is a seal with no close before it")
                        .arg(index));
            }
        }
        if (record.kind == RecordKind::AgencySwitch
            && (record.agency == 0 || record.betCount > 1 || record.csvLength != 0
                || record.csvOffset != csvEnd)) {
            return damaged(m_journalPath, pos, 0, 0,
                QStringLiteral("journal record %1 is an agency switch that does not fit the store "
                               "(agency %2, state %3, bets.csv ending at byte %4, here %5)")
                    .arg(index)
                    .arg(record.agency)
                    .arg(record.betCount)
                    .arg(record.csvOffset)
                    .arg(csvEnd));
        }
        if (record.kind == RecordKind::Identity) {
            if (record.sequence == 0 || record.sequence > 0xFFFFFFFFu) {
                return damaged(m_journalPath, pos, 0, 0,
                    QStringLiteral("journal record %1 is an identity record for %2 agencies")
                        .arg(index)
                        .arg(record.sequence));
            }
        } else if (record.kind == RecordKind::Batch) {
            const QString which = QStringLiteral("agency %1's batch %2 (journal record %3)")
                                      .arg(record.agency)
                                      .arg(record.sequence)
                                      .arg(index);
            if (record.csvOffset != csvEnd) {
                return damaged(m_journalPath, pos, record.agency, current.batches + 1,
                    QStringLiteral("%1 says its rows start at byte %2 of bets.csv, but the batch "
                                   "before it ends at byte %3")
                        .arg(which)
                        .arg(record.csvOffset)
                        .arg(csvEnd));
            }
            if (record.sequence != current.batches + 1) {
                return damaged(m_journalPath, pos, record.agency, current.batches + 1,
                    QStringLiteral("%1 follows its batch %2").arg(which).arg(current.batches));
            }
            if (record.csvLength == 0 || record.csvLength > kMaxBatchCsvBytes) {
                return damaged(m_journalPath, pos, record.agency, record.sequence,
                    QStringLiteral("%1 claims %2 bytes of rows").arg(which).arg(record.csvLength));
            }
            if (record.csvOffset + record.csvLength > m_csvSize)
                return checkRecordsPastEnd(pos, csvEnd);
            if (!readCsv(record.csvOffset, record.csvLength, &rows))
                return Verdict::Failed;
            if (crc32Of(rows.data(), rows.size()) != record.csvCrc) {
                const QString where
                    = QStringLiteral("the rows of agency %1's batch %2 (journal record %3; %4 of "
                                     "bets.csv)")
                          .arg(record.agency)
                          .arg(record.sequence)
                          .arg(index)
                          .arg(bytesRange(record.csvOffset, rows.size()));
                const QString problem = rows.find('\r') != std::string::npos
                    ? QStringLiteral("%1 end in CR LF: bets.csv was re-saved with other line "
                                     "ends (a spreadsheet or an editor); this server writes LF")
                          .arg(where)
                    : QStringLiteral("%1 do not match the checksum recorded when they were "
                                     "stored: they were changed since (a crash never changes "
                                     "rows its journal already covers)")
                          .arg(where);
                return damaged(
                    m_csvPath, record.csvOffset, record.agency, record.sequence, problem);
            }
        }
        if (visit && !visit(record, rows, &m_error))
            return Verdict::Failed;
        if (record.kind == RecordKind::Identity) {
            m_identity = static_cast<quint32>(record.sequence);
        } else if (record.kind == RecordKind::Close) {
            m_close = CloseSummary {static_cast<quint8>(record.agency),
                static_cast<qint64>(record.sequence), record.csvOffset, record.betCount, {}};
        } else if (record.kind == RecordKind::Seal) {
            m_close->root = record.digest;
        } else if (record.kind == RecordKind::Done) {
            m_agencies[record.agency].done = true;
        } else if (record.kind == RecordKind::AgencySwitch) {
            m_agencies[record.agency].disabled = record.betCount == 0;
        } else {
            AgencySummary &agency = m_agencies[record.agency];
            agency.batches = record.sequence;
            agency.bets += record.betCount;
            csvEnd += record.csvLength;
        }
        ++m_records;
        pos += kRecordSize;
        m_keptJournal = pos;
        m_keptCsv = csvEnd;
    }

    if (m_csvSize > m_keptCsv) {
        const Verdict rowsVerdict = checkUncoveredRows();
        if (rowsVerdict != Verdict::TornTail)
            return rowsVerdict;
    }
    const quint64 journalTail = m_journalSize - m_keptJournal;
    const quint64 csvTail = m_csvSize - m_keptCsv;
    if (journalTail == 0 && csvTail == 0)
        return Verdict::Clean;
    QStringList parts;
    if (m_tornClose) {
        parts << QStringLiteral("a close of sales whose seal was not written (an interrupted "
                                "close: never synced, never acknowledged; sales are open)");
    } else if (journalTail > 0) {
        parts << (journalTail < kRecordSize
                ? QStringLiteral("a partial journal record (%1 bytes)").arg(journalTail)
                : QStringLiteral("%1 journal bytes never written (zeros)").arg(journalTail));
    }
    if (csvTail > 0)
        parts << QStringLiteral("%1 bytes of rows no journal record covers").arg(csvTail);
    m_tail = parts.join(QStringLiteral(" and "));
    describeBeyondPrefix();
    return Verdict::TornTail;
}

Replay::Verdict Replay::checkRecordsPastEnd(std::size_t offset, quint64 chainStart)
{
    // Records whose rows are not (all) in bets.csv: the journal reached the disk and bets.csv
    // did not (a power loss between the two). They are unsynced writes, so unacknowledged; an
    // agency has at most one request unsynced at a time, so its records lie together.
    quint64 chain = chainStart;
    QHash<quint32, quint64> next;
    QSet<quint32> finished;
    quint32 current = 0;
    quint64 count = 0;
    std::size_t pos = offset;
    for (; pos + kRecordSize <= m_journalSize; pos += kRecordSize) {
        const quint64 index = pos / kRecordSize + 1;
        Record record;
        const QString bad = decode(m_journal.data() + pos, &record);
        if (!bad.isEmpty()) {
            if (std::all_of(m_journal.begin() + static_cast<std::ptrdiff_t>(pos), m_journal.end(),
                    [](char c) { return c == 0; }))
                break;
            return damaged(m_journalPath, pos, 0, 0,
                QStringLiteral("journal record %1 is damaged: %2").arg(index).arg(bad));
        }
        if (record.kind == RecordKind::AgencySwitch) {
            // The operator's write, not an agency's: it may land between any agencies' records.
            ++count;
            continue;
        }
        const quint64 expected = next.contains(record.agency)
            ? next.value(record.agency)
            : m_agencies.value(record.agency).batches + 1;
        if (record.agency != current) {
            if (finished.contains(record.agency)) {
                return damaged(m_journalPath, pos, record.agency, expected,
                    QStringLiteral("journal records past the end of bets.csv hold agency %1 in "
                                   "two separate runs (record %2): more than an interrupted write "
                                   "leaves; bets.csv is shorter than its journal")
                        .arg(record.agency)
                        .arg(index));
            }
            if (current != 0)
                finished.insert(current);
            current = record.agency;
        }
        if (record.kind == RecordKind::Batch
            && (record.csvOffset != chain || record.sequence != expected || record.csvLength == 0
                || record.csvLength > kMaxBatchCsvBytes)) {
            return damaged(m_journalPath, pos, record.agency, expected,
                QStringLiteral("journal record %1 (agency %2's batch %3, rows at byte %4) does not "
                               "follow the record before it")
                    .arg(index)
                    .arg(record.agency)
                    .arg(record.sequence)
                    .arg(record.csvOffset));
        }
        if (record.kind == RecordKind::Identity) {
            return damaged(m_journalPath, pos, 0, 0,
                QStringLiteral("journal record %1 is an identity record among records whose rows "
                               "are missing from bets.csv")
                    .arg(index));
        }
        if (record.kind == RecordKind::Batch) {
            chain += record.csvLength;
            next.insert(record.agency, record.sequence + 1);
        }
        ++count;
    }
    m_tail = QStringLiteral("%1 journal records whose rows run past the end of bets.csv (it holds "
                            "%2 of their %3 bytes)%4")
                 .arg(count)
                 .arg(m_csvSize - chainStart)
                 .arg(chain - chainStart)
                 .arg(m_journalSize > pos
                         ? QStringLiteral(" and %1 more journal bytes").arg(m_journalSize - pos)
                         : QString());
    describeBeyondPrefix();
    return Verdict::TornTail;
}

Replay::Verdict Replay::checkUncoveredRows()
{
    // What a crash leaves past the last record: rows of the writes whose records did not make
    // it. Each agency has at most one request unsynced at a time (a session sends its next only
    // once the last is durable; a new session of the agency waits for the old one's writes), so
    // such rows are whole bet rows, LF-terminated, with each agency's rows in one run; the last
    // row may be cut short. Anything else is not a crash.
    if (m_csvSize - m_keptCsv > kMaxUncoveredCsvBytes) {
        std::string firstLine;
        quint32 agency = 0;
        if (readCsv(m_keptCsv, 64, &firstLine))
            agency = leadingAgency(firstLine);
        return damaged(m_csvPath, m_keptCsv, agency, m_agencies.value(agency).batches + 1,
            QStringLiteral("%1 bytes of rows lie past the journal's last record, more than the "
                           "unsynced writes of a server can leave (%2): the journal is shorter "
                           "than bets.csv (cut, or an older copy)")
                .arg(m_csvSize - m_keptCsv)
                .arg(kMaxUncoveredCsvBytes));
    }
    QSet<quint32> finished;
    quint32 current = 0;
    std::optional<Verdict> verdict;
    const auto check = [&](quint64 offset, std::string_view line, bool complete) {
        const quint32 agency = leadingAgency(line);
        const quint64 sequence = m_agencies.value(agency).batches + 1;
        if (const std::size_t cr = line.find('\r'); cr != std::string_view::npos) {
            verdict = damaged(m_csvPath, offset + cr, agency, sequence,
                QStringLiteral("the row at byte %1 of bets.csv, past the journal's last record, "
                               "ends in CR LF: bets.csv was re-saved with other line ends; this "
                               "server writes LF")
                    .arg(offset));
            return false;
        }
        if (!complete)
            return true; // a row cut short by the crash
        if (!parseStoredBetRow(line)) {
            verdict = damaged(m_csvPath, offset, agency, sequence,
                QStringLiteral("%1 of bets.csv, past the journal's last record, are not a bet "
                               "row: this server never wrote them")
                    .arg(bytesRange(offset, line.size())));
            return false;
        }
        if (agency != current) {
            if (finished.contains(agency)) {
                verdict = damaged(m_csvPath, offset, agency, sequence,
                    QStringLiteral(
                        "rows of agency %1 at byte %2 of bets.csv, past the journal's last "
                        "record, come after rows of other agencies that follow its own: an "
                        "interrupted write leaves at most one run of rows per agency, so the "
                        "journal is shorter than bets.csv (cut, or an older copy)")
                        .arg(agency)
                        .arg(offset));
                return false;
            }
            if (current != 0)
                finished.insert(current);
            current = agency;
        }
        return true;
    };
    if (!forEachLine(m_csvFd, m_keptCsv, m_csvSize, &m_error, check)) {
        m_error = QStringLiteral("cannot read %1: %2").arg(m_csvPath, m_error);
        return Verdict::Failed;
    }
    return verdict.value_or(Verdict::TornTail);
}

void Replay::describeBeyondPrefix()
{
    struct Lost {
        quint64 firstSequence = 0;
        quint64 lastSequence = 0;
        quint64 rows = 0;
    };
    QMap<quint32, Lost> lost;
    for (std::size_t pos = m_keptJournal; pos + kRecordSize <= m_journalSize; pos += kRecordSize) {
        Record record;
        if (!decode(m_journal.data() + pos, &record).isEmpty() || record.kind != RecordKind::Batch)
            continue;
        Lost &entry = lost[record.agency];
        if (entry.firstSequence == 0 || record.sequence < entry.firstSequence)
            entry.firstSequence = record.sequence;
        entry.lastSequence = std::max(entry.lastSequence, record.sequence);
    }
    QString readError;
    forEachLine(
        m_csvFd, m_keptCsv, m_csvSize, &readError, [&lost](quint64, std::string_view line, bool) {
            ++lost[leadingAgency(line)].rows;
            return true;
        });
    QStringList parts;
    for (auto it = lost.cbegin(); it != lost.cend(); ++it) {
        QStringList what;
        if (it->firstSequence != 0) {
            what << (it->firstSequence == it->lastSequence
                    ? QStringLiteral("sequence %1").arg(it->firstSequence)
                    : QStringLiteral("sequences %1-%2")
                          .arg(it->firstSequence)
                          .arg(it->lastSequence));
        }
        if (it->rows > 0)
            what << QStringLiteral("%1 rows").arg(it->rows);
        parts << QStringLiteral("%1: %2").arg(it.key() == 0
                ? QStringLiteral("no agency (not bet rows)")
                : QStringLiteral("agency %1").arg(it.key()),
            what.join(QStringLiteral(", ")));
    }
    m_beyond = parts.join(QStringLiteral("; "));
}

bool truncateToPrefix(const Replay &replay, int csvFd, int journalFd,
    const std::function<int(int)> &sync, QString *error)
{
    const auto cut = [&sync](int fd, quint64 size) {
        return fd < 0 || (::ftruncate(fd, static_cast<off_t>(size)) == 0 && sync(fd) == 0);
    };
    // The journal first: a record never outlives the rows it vouches for.
    if (!cut(journalFd, replay.keptJournal()) || !cut(csvFd, replay.keptCsv())) {
        *error = errnoText(errno);
        return false;
    }
    return true;
}

bool appendRecord(int journalFd, quint64 journalEnd, const Record &record,
    const std::function<int(int)> &sync, QString *error)
{
    if (!writeAt(journalFd, encode(record), journalEnd, error))
        return false;
    if (sync(journalFd) != 0) {
        *error = errnoText(errno);
        return false;
    }
    return true;
}

namespace {

// Copies [from, to) of `fd` into a new file `path` and syncs it.
bool copyToNewFile(int fd, quint64 from, quint64 to, const QString &path, QString *error)
{
    const int out
        = ::open(path.toLocal8Bit().constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        *error = QStringLiteral("cannot create %1: %2").arg(path, errnoText(errno));
        return false;
    }
    std::string chunk;
    bool ok = true;
    for (quint64 at = from; ok && at < to;) {
        const quint64 size = std::min<quint64>(kReadChunk, to - at);
        ok = readAt(fd, &chunk, at, size, error) && writeAt(out, chunk, at - from, error);
        at += size;
    }
    if (ok && ::fsync(out) != 0) {
        *error = errnoText(errno);
        ok = false;
    }
    ::close(out);
    if (!ok)
        *error = QStringLiteral("cannot copy into %1: %2").arg(path, *error);
    return ok;
}

bool syncDirectoryOf(const QString &path, QString *error)
{
    const QByteArray dir = QFileInfo(path).absolutePath().toLocal8Bit();
    const int fd = ::open(dir.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        *error = QStringLiteral("cannot sync directory %1: %2")
                     .arg(QString::fromLocal8Bit(dir), errnoText(errno));
        if (fd >= 0)
            ::close(fd);
        return false;
    }
    ::close(fd);
    return true;
}

} // namespace

bool openStoreFiles(
    const QString &csvPath, const QString &journalPath, int *csvFd, int *journalFd, QString *error)
{
    const QFileInfo csv(csvPath);
    const QFileInfo journal(journalPath);
    const bool createCsv = csv.exists() || !journal.exists() || journal.size() == 0;
    const bool createJournal = journal.exists() || !csv.exists() || csv.size() == 0;
    const bool creates = !csv.exists() || !journal.exists();
    *csvFd = *journalFd = -1;
    const auto open = [error](const QString &path, int *fd) {
        *fd = ::open(path.toLocal8Bit().constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (*fd < 0)
            *error = QStringLiteral("cannot open %1: %2").arg(path, errnoText(errno));
        return *fd >= 0;
    };
    const auto closeAll = [csvFd, journalFd] {
        for (int *fd : {csvFd, journalFd}) {
            if (*fd >= 0)
                ::close(*fd);
            *fd = -1;
        }
    };
    if ((createCsv && !open(csvPath, csvFd)) || (createJournal && !open(journalPath, journalFd))) {
        closeAll();
        return false;
    }
    if (creates && (*csvFd >= 0 || *journalFd >= 0) && !syncDirectoryOf(csvPath, error)) {
        closeAll();
        return false;
    }
    return true;
}

QString sideFileSuffix(const QString &what)
{
    return QStringLiteral(".%1-%2").arg(
        what, QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd'T'HHmmss.zzz'Z'")));
}

RepairResult moveBeyondPrefix(const Replay &replay, const QString &csvPath, int csvFd,
    const QString &journalPath, int journalFd, const QString &suffix,
    const std::function<int(int)> &sync)
{
    RepairResult result;
    // Copies first, made durable, and only then the cut: a crash in between leaves the bytes in
    // both places, never in neither.
    if (replay.csvSize() > replay.keptCsv()) {
        result.csvSideFile = csvPath + suffix;
        result.csvMoved = replay.csvSize() - replay.keptCsv();
        if (!copyToNewFile(
                csvFd, replay.keptCsv(), replay.csvSize(), result.csvSideFile, &result.error))
            return result;
    }
    if (replay.journalSize() > replay.keptJournal()) {
        result.journalSideFile = journalPath + suffix;
        result.journalMoved = replay.journalSize() - replay.keptJournal();
        if (!copyToNewFile(journalFd, replay.keptJournal(), replay.journalSize(),
                result.journalSideFile, &result.error))
            return result;
    }
    if (!syncDirectoryOf(csvPath, &result.error))
        return result;
    if (!truncateToPrefix(replay, csvFd, journalFd, sync, &result.error)) {
        result.error
            = QStringLiteral("cannot cut %1 to its good prefix: %2").arg(csvPath, result.error);
        return result;
    }
    result.ok = true;
    return result;
}

} // namespace lottery::server::journal
