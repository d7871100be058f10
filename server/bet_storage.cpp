#include "server/bet_storage.h"
#include "server/tsan_annotations.h"

#include "common/log.h"
#include "lottery/protocol/bet.h"
#include "lottery/protocol/byte_order.h"

#include <QDeadlineTimer>
#include <QFileInfo>
#include <QMutexLocker>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace lottery::server {

namespace {

constexpr quint32 kJournalMagic = 0x4C544A31; // "LTJ1"
constexpr std::size_t kRecordCrcOffset = BetStorage::kJournalRecordSize - 4;
// A batch is one frame of bets: its CSV form cannot be anywhere near this. Larger means garbage.
constexpr quint64 kMaxBatchCsvBytes = 1u << 20;

quint32 crc32Of(const char *data, std::size_t size)
{
    return static_cast<quint32>(
        ::crc32(0L, reinterpret_cast<const Bytef *>(data), static_cast<uInt>(size)));
}

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

bool writeAll(int fd, std::string_view bytes, quint64 offset, QString *error)
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

bool readAll(int fd, std::string *bytes, quint64 offset, quint64 size, QString *error)
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

std::optional<quint64> fileSize(int fd)
{
    struct stat info = {};
    if (::fstat(fd, &info) != 0)
        return std::nullopt;
    return static_cast<quint64>(info.st_size);
}

// A new directory entry is only durable once the directory itself is synced.
bool syncDirectoryOf(const QString &path, QString *error)
{
    const QByteArray dir = QFileInfo(path).absolutePath().toLocal8Bit();
    const int fd = ::open(dir.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        *error = QStringLiteral("cannot open directory %1: %2")
                     .arg(QString::fromLocal8Bit(dir), errnoText(errno));
        return false;
    }
    const bool ok = ::fsync(fd) == 0;
    if (!ok)
        *error = QStringLiteral("fsync of directory %1 failed: %2")
                     .arg(QString::fromLocal8Bit(dir), errnoText(errno));
    ::close(fd);
    return ok;
}

int openFile(const QString &path)
{
    return ::open(path.toLocal8Bit().constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
}

// One row of bets.csv. Rows without quotes (nearly all) are cut into views without allocating;
// the rest go through the full RFC 4180 parser. Both accept exactly what parseStoredBetRow does.
template<typename Visit> bool visitStoredRow(std::string_view line, const Visit &visit)
{
    line = protocol::stripLineEnding(line);
    if (line.find('"') != std::string_view::npos) {
        const auto row = protocol::parseStoredBetRow(line);
        if (!row)
            return false;
        visit(row->agency, row->bet.document, row->bet.number);
        return true;
    }
    std::string_view fields[6];
    std::size_t count = 0;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = line.find(',', start);
        if (count == 6)
            return false;
        fields[count++] = line.substr(start, comma - start);
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    if (count != 6)
        return false;
    unsigned agency = 0;
    const std::string_view agencyText = fields[0];
    const auto [end, ec]
        = std::from_chars(agencyText.data(), agencyText.data() + agencyText.size(), agency);
    if (ec != std::errc() || end != agencyText.data() + agencyText.size())
        return false;
    const auto number = protocol::parseBetNumber(fields[5]);
    if (!number)
        return false;
    visit(agency, fields[3], *number);
    return true;
}

// Adds the winners among the rows of one stored batch. False when a row is not a bet row.
bool collectWinners(std::string_view rows, WinnersByAgency &winners, quint64 &winnerCount)
{
    const auto visit = [&](quint32 agency, std::string_view document, std::uint16_t number) {
        if (number == protocol::kWinningNumber) {
            winners[agency].emplace_back(document);
            ++winnerCount;
        }
    };
    while (!rows.empty()) {
        // A quoted field may hold a newline: a quoted row goes to the parser whole.
        std::size_t end = rows.find('\n');
        const std::size_t quote = rows.find('"');
        if (quote < end) {
            bool quoted = false;
            for (end = 0; end < rows.size(); ++end) {
                if (rows[end] == '"')
                    quoted = !quoted;
                else if (rows[end] == '\n' && !quoted)
                    break;
            }
        }
        end = end == std::string_view::npos ? rows.size() : std::min(end + 1, rows.size());
        if (!visitStoredRow(rows.substr(0, end), visit))
            return false;
        rows.remove_prefix(end);
    }
    return true;
}

} // namespace

BetStorage::BetStorage(const QString &csvPath)
    : m_csvPath(csvPath), m_sync([](int fd) { return ::fdatasync(fd); })
{
}

BetStorage::~BetStorage()
{
    close();
}

std::string BetStorage::encodeRecord(const JournalRecord &record)
{
    std::string out;
    out.reserve(kJournalRecordSize);
    protocol::appendU32(out, kJournalMagic);
    protocol::appendU8(out, static_cast<std::uint8_t>(record.kind));
    out.append(3, '\0');
    protocol::appendU32(out, record.agency);
    protocol::appendU64(out, record.sequence);
    protocol::appendU64(out, record.csvOffset);
    protocol::appendU64(out, record.csvLength);
    protocol::appendU32(out, record.betCount);
    protocol::appendU32(out, record.csvCrc);
    protocol::appendU32(out, crc32Of(out.data(), out.size()));
    return out;
}

bool BetStorage::decodeRecord(const char *bytes, JournalRecord *record)
{
    if (protocol::loadU32(bytes) != kJournalMagic)
        return false;
    if (protocol::loadU32(bytes + kRecordCrcOffset) != crc32Of(bytes, kRecordCrcOffset))
        return false;
    const auto kind = static_cast<quint8>(bytes[4]);
    if (kind != static_cast<quint8>(RecordKind::Batch)
        && kind != static_cast<quint8>(RecordKind::Done))
        return false;
    record->kind = static_cast<RecordKind>(kind);
    record->agency = protocol::loadU32(bytes + 8);
    record->sequence = protocol::loadU64(bytes + 12);
    record->csvOffset = protocol::loadU64(bytes + 20);
    record->csvLength = protocol::loadU64(bytes + 28);
    record->betCount = protocol::loadU32(bytes + 36);
    record->csvCrc = protocol::loadU32(bytes + 40);
    return true;
}

bool BetStorage::open()
{
    QMutexLocker locker(&m_mutex);
    const bool existed = QFileInfo::exists(m_csvPath) && QFileInfo::exists(journalPath());
    m_csvFd = openFile(m_csvPath);
    if (m_csvFd < 0) {
        m_error = QStringLiteral("cannot open %1: %2").arg(m_csvPath, errnoText(errno));
        return false;
    }
    m_journalFd = openFile(journalPath());
    if (m_journalFd < 0) {
        m_error = QStringLiteral("cannot open %1: %2").arg(journalPath(), errnoText(errno));
        ::close(m_csvFd);
        m_csvFd = -1;
        return false;
    }
    if (!existed && !syncDirectoryOf(m_csvPath, &m_error))
        return false;
    return replayJournal();
}

bool BetStorage::replayJournal()
{
    const auto journalSize = fileSize(m_journalFd);
    const auto csvSize = fileSize(m_csvFd);
    if (!journalSize || !csvSize) {
        m_error = QStringLiteral("cannot stat the storage files: %1").arg(errnoText(errno));
        return false;
    }
    std::string journal;
    if (!readAll(m_journalFd, &journal, 0, *journalSize, &m_error)) {
        m_error = QStringLiteral("cannot read %1: %2").arg(journalPath(), m_error);
        return false;
    }

    StorageRecovery recovery;
    DurableWinners winners;
    quint64 goodJournal = 0;
    quint64 goodCsv = 0;
    std::string csvBytes;
    QString readError;
    while (goodJournal + kJournalRecordSize <= *journalSize) {
        JournalRecord record;
        if (!decodeRecord(journal.data() + goodJournal, &record))
            break;
        if (record.kind == RecordKind::Batch) {
            // Batches are contiguous in bets.csv; anything else means the tail is not ours.
            if (record.csvOffset != goodCsv || record.csvLength > kMaxBatchCsvBytes
                || record.csvOffset + record.csvLength > *csvSize)
                break;
            if (!readAll(m_csvFd, &csvBytes, record.csvOffset, record.csvLength, &readError))
                break;
            if (crc32Of(csvBytes.data(), csvBytes.size()) != record.csvCrc)
                break;
            if (!collectWinners(csvBytes, winners.winners, winners.winnerCount)) {
                // Checksummed, so written by us as it is: not a torn tail but a defect. Refuse to
                // start rather than run a draw over rows we cannot read.
                m_error = QStringLiteral("%1: the batch at offset %2 has a row that is not a bet")
                              .arg(m_csvPath)
                              .arg(record.csvOffset);
                return false;
            }
            AgencyProgress &progress = recovery.agencies[record.agency];
            progress.lastSequence = record.sequence;
            progress.storedBets += record.betCount;
            recovery.bets += record.betCount;
            goodCsv += record.csvLength;
        } else {
            recovery.agencies[record.agency].done = true;
        }
        ++recovery.records;
        goodJournal += kJournalRecordSize;
    }

    recovery.truncatedBytes = (*journalSize - goodJournal) + (*csvSize - goodCsv);
    if (recovery.truncatedBytes > 0) {
        // A crash mid-write leaves a torn tail: keep the last complete, checksummed batch.
        if (::ftruncate(m_journalFd, static_cast<off_t>(goodJournal)) != 0
            || ::ftruncate(m_csvFd, static_cast<off_t>(goodCsv)) != 0 || m_sync(m_csvFd) != 0
            || m_sync(m_journalFd) != 0) {
            m_error = QStringLiteral("cannot truncate the torn tail of %1: %2")
                          .arg(m_csvPath, errnoText(errno));
            return false;
        }
    }
    recovery.csvSize = goodCsv;
    recovery.journalSize = goodJournal;
    m_csvEnd = m_durableCsvEnd = goodCsv;
    m_journalEnd = goodJournal;
    m_recovery = recovery;
    winners.bets = recovery.bets;
    m_durableWinners = std::move(winners);

    LOTTERY_LOG_SUCCESS("recuperacion")
        .field(u"storage", m_csvPath)
        .field(u"records", recovery.records)
        .field(u"bets", recovery.bets)
        .field(u"agencies", recovery.agencies.size())
        .field(u"truncated_bytes", recovery.truncatedBytes)
        .field(u"offset", goodCsv)
        .field(u"journal_offset", goodJournal);
    return true;
}

QString BetStorage::errorString() const
{
    QMutexLocker locker(&m_mutex);
    return m_error;
}

StorageRecovery BetStorage::recovery() const
{
    QMutexLocker locker(&m_mutex);
    return m_recovery;
}

BetStorage::WriteResult BetStorage::appendBatch(
    quint32 agency, quint64 sequence, const std::vector<protocol::Bet> &bets)
{
    const PendingWrite written = writeBatch(agency, sequence, bets);
    if (!written.ok)
        return {false, written.error};
    return syncThrough(written.generation);
}

BetStorage::PendingWrite BetStorage::writeBatch(
    quint32 agency, quint64 sequence, const std::vector<protocol::Bet> &bets)
{
    std::string csv;
    csv.reserve(bets.size() * 64);
    EncodedBatch batch;
    batch.sequence = sequence;
    batch.betCount = static_cast<quint32>(bets.size());
    for (const protocol::Bet &bet : bets) {
        protocol::appendStoredBetRow(csv, agency, bet);
        if (protocol::isWinner(bet))
            batch.winners.push_back(bet.document);
    }
    batch.csv = csv;
    return writeBatches(agency, {std::move(batch)});
}

BetStorage::PendingWrite BetStorage::writeBatches(
    quint32 agency, const std::vector<EncodedBatch> &batches)
{
    std::vector<JournalRecord> records;
    records.reserve(batches.size());
    PendingWinners winners;
    winners.agency = agency;
    // One contiguous write when the rows already lie back to back (the worker encodes them so).
    bool contiguous = true;
    std::size_t totalBytes = 0;
    for (std::size_t i = 0; i < batches.size(); ++i) {
        const EncodedBatch &batch = batches[i];
        if (i > 0 && batches[i - 1].csv.data() + batches[i - 1].csv.size() != batch.csv.data())
            contiguous = false;
        totalBytes += batch.csv.size();
        JournalRecord record;
        record.kind = RecordKind::Batch;
        record.agency = agency;
        record.sequence = batch.sequence;
        record.betCount = batch.betCount;
        record.csvLength = batch.csv.size();
        record.csvCrc = crc32Of(batch.csv.data(), batch.csv.size());
        records.push_back(record);
        winners.bets += batch.betCount;
        winners.documents.insert(
            winners.documents.end(), batch.winners.begin(), batch.winners.end());
    }
    if (batches.empty())
        return {false, QStringLiteral("no batch to write"), 0};
    if (contiguous)
        return write(std::move(records), std::string_view(batches.front().csv.data(), totalBytes),
            std::move(winners));
    std::string joined;
    joined.reserve(totalBytes);
    for (const EncodedBatch &batch : batches)
        joined.append(batch.csv);
    return write(std::move(records), joined, std::move(winners));
}

BetStorage::WriteResult BetStorage::syncThrough(quint64 generation)
{
    QMutexLocker locker(&m_mutex);
    return waitDurable(locker, generation);
}

BetStorage::WriteResult BetStorage::appendDone(quint32 agency)
{
    JournalRecord record;
    record.kind = RecordKind::Done;
    record.agency = agency;
    record.csvCrc = crc32Of(nullptr, 0);
    return append(record, std::string());
}

BetStorage::WriteResult BetStorage::append(const JournalRecord &base, const std::string &csvBytes)
{
    JournalRecord record = base;
    record.csvLength = csvBytes.size();
    const PendingWrite written = write({record}, csvBytes, PendingWinners {});
    if (!written.ok)
        return {false, written.error};
    return syncThrough(written.generation);
}

BetStorage::PendingWrite BetStorage::write(
    std::vector<JournalRecord> records, std::string_view csvBytes, PendingWinners winners)
{
    QMutexLocker locker(&m_mutex);
    if (m_failed)
        return {false, m_failure, 0};
    if (m_stopping)
        return {false, QStringLiteral("storage is shutting down"), 0};
    if (m_csvFd < 0 || m_journalFd < 0)
        return {false, QStringLiteral("storage is not open"), 0};

    std::string journalBytes;
    journalBytes.reserve(records.size() * kJournalRecordSize);
    quint64 offset = m_csvEnd;
    for (JournalRecord &record : records) {
        record.csvOffset = offset;
        offset += record.csvLength;
        journalBytes += encodeRecord(record);
    }
    QString error;
    const bool written = writeAll(m_csvFd, csvBytes, m_csvEnd, &error)
        && writeAll(m_journalFd, journalBytes, m_journalEnd, &error);
    if (!written) {
        // Take back a partial write so the next batch starts at a clean offset.
        if (::ftruncate(m_csvFd, static_cast<off_t>(m_csvEnd)) != 0
            || ::ftruncate(m_journalFd, static_cast<off_t>(m_journalEnd)) != 0)
            markFailed(QStringLiteral("cannot undo a failed write: %1").arg(errnoText(errno)));
        return {false, QStringLiteral("write to %1 failed: %2").arg(m_csvPath, error), 0};
    }
    m_csvEnd += csvBytes.size();
    m_journalEnd += journalBytes.size();
    for (const JournalRecord &record : records) {
        if (record.kind == RecordKind::Batch) {
            ++m_stats.batches;
            m_stats.bets += record.betCount;
            m_stats.bytes += record.csvLength;
        }
    }
    const quint64 generation = ++m_writeGeneration;
    if (winners.bets > 0) {
        winners.generation = generation;
        m_pendingWinners.push_back(std::move(winners));
    }
    return {true, QString(), generation};
}

BetStorage::WriteResult BetStorage::waitDurable(QMutexLocker<QMutex> &locker, quint64 generation)
{
    const QDeadlineTimer deadline(kSyncWaitMs);
    while (m_syncedGeneration < generation) {
        if (m_failed)
            return {false, m_failure};
        if (m_stopping)
            return {false, QStringLiteral("storage stopped before the write was synced")};
        if (!m_syncInProgress) {
            // Lead a sync that covers every write made so far, including other workers'.
            m_syncInProgress = true;
            const quint64 target = m_writeGeneration;
            const quint64 csvEnd = m_csvEnd;
            const int csvFd = m_csvFd;
            const int journalFd = m_journalFd;
            const SyncFunction sync = m_sync;
            locker.unlock();
            QString error;
            if (sync(csvFd) != 0)
                error
                    = QStringLiteral("fdatasync of %1 failed: %2").arg(m_csvPath, errnoText(errno));
            else if (sync(journalFd) != 0)
                error = QStringLiteral("fdatasync of %1 failed: %2")
                            .arg(journalPath(), errnoText(errno));
            locker.relock();
            m_syncInProgress = false;
            ++m_stats.commits;
            m_stats.fdatasyncs += 2;
            if (error.isEmpty()) {
                m_syncedGeneration = qMax(m_syncedGeneration, target);
                m_durableCsvEnd = qMax(m_durableCsvEnd, csvEnd);
                promoteWinnersThrough(target);
            } else {
                markFailed(error);
            }
            m_syncDone.wakeAll();
            continue;
        }
        if (deadline.hasExpired()) {
            // Our bytes are in the files and may yet become durable (a restart replays them):
            // appending this sequence again later would store it twice. Refuse all writes.
            markFailed(QStringLiteral("fdatasync did not complete within %1 ms").arg(kSyncWaitMs));
            return {false, m_failure};
        }
        tsan::WaitAnnotation annotation(&m_mutex);
        m_syncDone.wait(&m_mutex, deadline);
    }
    return {true, QString()};
}

// Called with the lock held, once a sync covering `generation` has succeeded.
void BetStorage::promoteWinnersThrough(quint64 generation)
{
    std::size_t promoted = 0;
    for (PendingWinners &pending : m_pendingWinners) {
        if (pending.generation > generation)
            break;
        if (!pending.documents.empty()) { // as after open(): only agencies with winners appear
            std::vector<std::string> &documents = m_durableWinners.winners[pending.agency];
            for (std::string &document : pending.documents)
                documents.push_back(std::move(document));
        }
        m_durableWinners.bets += pending.bets;
        m_durableWinners.winnerCount += pending.documents.size();
        ++promoted;
    }
    m_pendingWinners.erase(m_pendingWinners.begin(), m_pendingWinners.begin() + promoted);
}

BetStorage::DurableWinners BetStorage::durableWinners() const
{
    QMutexLocker locker(&m_mutex);
    return m_durableWinners;
}

void BetStorage::markFailed(const QString &reason)
{
    if (m_failed)
        return;
    m_failed = true;
    m_failure = QStringLiteral("storage refuses writes after an earlier failure (%1)").arg(reason);
    // Logged once: every later batch is refused with the same reason.
    LOTTERY_LOG_FAIL("storage")
        .field(u"storage", m_csvPath)
        .field(u"error", reason)
        .field(u"consequence", "all further writes refused");
}

bool BetStorage::readDurableBets(std::vector<protocol::StoredBet> *bets, QString *error) const
{
    QMutexLocker locker(&m_mutex);
    if (m_csvFd < 0) {
        *error = QStringLiteral("storage is not open");
        return false;
    }
    std::string content;
    if (!readAll(m_csvFd, &content, 0, m_durableCsvEnd, error)) {
        *error = QStringLiteral("cannot read %1: %2").arg(m_csvPath, *error);
        return false;
    }
    locker.unlock();
    bets->clear();
    std::size_t start = 0;
    quint64 lineNumber = 0;
    while (start < content.size()) {
        std::size_t end = content.find('\n', start);
        if (end == std::string::npos)
            end = content.size();
        ++lineNumber;
        const std::string_view line(content.data() + start, end - start);
        auto row = protocol::parseStoredBetRow(line);
        if (!row) {
            *error = QStringLiteral("%1 line %2 is not a valid bet row")
                         .arg(m_csvPath)
                         .arg(lineNumber);
            return false;
        }
        bets->push_back(std::move(*row));
        start = end + 1;
    }
    return true;
}

BetStorage::Stats BetStorage::stats() const
{
    QMutexLocker locker(&m_mutex);
    return m_stats;
}

bool BetStorage::hasFailed() const
{
    QMutexLocker locker(&m_mutex);
    return m_failed;
}

void BetStorage::requestStop()
{
    QMutexLocker locker(&m_mutex);
    m_stopping = true;
    m_syncDone.wakeAll();
}

void BetStorage::close()
{
    QMutexLocker locker(&m_mutex);
    // A leader syncs without the lock, on copies of the descriptors: let it finish first.
    const QDeadlineTimer deadline(5000);
    while (m_syncInProgress && !deadline.hasExpired()) {
        tsan::WaitAnnotation annotation(&m_mutex);
        m_syncDone.wait(&m_mutex, deadline);
    }
    if (m_csvFd >= 0)
        ::close(m_csvFd);
    if (m_journalFd >= 0)
        ::close(m_journalFd);
    m_csvFd = m_journalFd = -1;
}

void BetStorage::setSyncFunctionForTesting(SyncFunction function)
{
    QMutexLocker locker(&m_mutex);
    m_sync = std::move(function);
}

} // namespace lottery::server
