#include "server/storage/file_bet_store.h"
#include "server/tsan_annotations.h"

#include "common/csv.h"
#include "common/log.h"
#include "common/stored_bet_row.h"
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

namespace lottery::server {

namespace {

using journal::crc32Of;
using journal::errnoText;

// One row of bets.csv, visited as (agency, BetView) (the views last for the call). Rows without
// quotes (nearly all) are cut into views without allocating; the rest go through the full
// RFC 4180 parser. Both accept exactly what parseStoredBetRow does.
template<typename Visit> bool visitStoredRow(std::string_view line, const Visit &visit)
{
    line = stripLineEnding(line);
    if (line.find('"') != std::string_view::npos) {
        const auto row = parseStoredBetRow(line);
        if (!row)
            return false;
        const protocol::Bet &bet = row->bet;
        visit(row->agency,
            protocol::BetView(
                bet.firstName, bet.lastName, bet.document, bet.birthdate, bet.number));
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
    const auto number = parseBetNumber(fields[5]);
    if (!number)
        return false;
    visit(agency, protocol::BetView(fields[1], fields[2], fields[3], fields[4], *number));
    return true;
}

// Where the first row of `rows` ends (after its LF, or at the end). A quoted field may hold a
// newline: inside quotes an LF does not end the row.
std::size_t storedRowEnd(std::string_view rows)
{
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
    return end == std::string_view::npos ? rows.size() : std::min(end + 1, rows.size());
}

} // namespace

FileBetStore::FileBetStore(const QString &csvPath, quint32 expectedAgencies, SyncFunction sync)
    : m_csvPath(csvPath), m_expectedAgencies(expectedAgencies),
      m_sync(sync ? std::move(sync) : SyncFunction([](int fd) { return ::fdatasync(fd); }))
{
}

FileBetStore::~FileBetStore()
{
    close();
}

bool FileBetStore::open()
{
    QMutexLocker locker(&m_mutex);
    if (!journal::openStoreFiles(m_csvPath, journalPath(), &m_csvFd, &m_journalFd, &m_error))
        return false;
    return replayJournal() && restoreCloseLocked(m_recoveredClose);
}

SalesClose FileBetStore::sealLocked(protocol::CloseReason reason, qint64 atMs) const
{
    SalesClose close;
    close.closedAtMs = atMs;
    close.reason = reason;
    close.agenciesDone = m_doneAgencies;
    std::vector<SealEntry> entries;
    entries.reserve(m_expectedAgencies);
    const RunningDigest nothing;
    for (quint32 agency = 1; agency <= m_expectedAgencies; ++agency) {
        const auto it = m_agencies.constFind(agency);
        const AgencyHead head = it == m_agencies.constEnd()
            ? AgencyHead {0, nothing.current()}
            : AgencyHead {it->storedBets, it->digest.current()};
        close.heads.insert(agency, head);
        close.totalBets += head.bets;
        entries.push_back(SealEntry {agency, head.bets, head.digest});
    }
    close.root = sealRoot(entries);
    return close;
}

std::vector<FileBetStore::JournalRecord> FileBetStore::closeRecords(
    const SalesClose &close, quint64 csvEnd)
{
    journal::CloseSummary summary;
    summary.reason = static_cast<quint8>(close.reason);
    summary.closedAtMs = close.closedAtMs;
    summary.csvEnd = csvEnd;
    summary.agenciesDone = close.agenciesDone;
    return {journal::closeRecord(summary), journal::sealRecord(close.root)};
}

bool FileBetStore::restoreCloseLocked(const std::optional<journal::CloseSummary> &recorded)
{
    if (recorded) {
        SalesClose close = sealLocked(
            static_cast<protocol::CloseReason>(recorded->reason), recorded->closedAtMs);
        close.agenciesDone = recorded->agenciesDone;
        if (close.root != recorded->root) {
            m_error = QStringLiteral("%1: the bets sealed at the close of sales do not match "
                                     "their seal (recorded %2, recomputed from the rows %3): "
                                     "rows and journal were changed together after the close; "
                                     "nothing was changed (run lottery-audit to see which agency)")
                          .arg(m_csvPath, digestHex(recorded->root), digestHex(close.root));
            LOTTERY_LOG_FAIL("recuperacion")
                .field(u"file", m_csvPath)
                .field(u"error", m_error)
                .field(u"changed", "nothing");
            return false;
        }
        m_close = std::move(close);
        return true;
    }
    if (!allDoneLocked())
        return true;
    // Every agency said DONE under a server that wrote no close (older than closes of sales):
    // the draw ran over exactly these bets, so they are sealed now, as that server would have.
    SalesClose close
        = sealLocked(protocol::CloseReason::AllAgenciesDone, QDateTime::currentMSecsSinceEpoch());
    const WriteOutcome written = writeLocked(closeRecords(close, m_csvEnd), {}, {});
    if (!written.ok || m_sync(m_journalFd) != 0) {
        m_error = QStringLiteral("cannot record the close of sales of %1: %2")
                      .arg(m_csvPath, written.ok ? errnoText(errno) : written.error);
        return false;
    }
    m_syncedGeneration = written.generation;
    m_close = std::move(close);
    LOTTERY_LOG_SUCCESS("cierre_ventas")
        .field(u"motivo", "todas_las_agencias")
        .field(u"origin", "adopted")
        .field(u"sello", digestHex(m_close->root));
    return true;
}

CloseDecision FileBetStore::closeSales(protocol::CloseReason reason, qint64 atMs)
{
    CloseDecision decision;
    QMutexLocker locker(&m_mutex);
    if (m_close) {
        decision.ok = true;
        decision.close = *m_close;
        return decision;
    }
    if (const QString refusal = refusalLocked(); !refusal.isEmpty()) {
        decision.error = refusal;
        return decision;
    }
    // Decided under the lock that decides batches: every batch decided before this point is in
    // the seal, every one after is refused (AfterClose).
    SalesClose close = sealLocked(reason, atMs);
    const WriteOutcome written = writeLocked(closeRecords(close, m_csvEnd), {}, {});
    if (!written.ok) {
        decision.error = written.error;
        return decision;
    }
    m_close = close;
    // Durable with (after) every batch it seals: they are in earlier writes of the group commit.
    if (!waitDurable(locker, written.generation, &decision.error))
        return decision;
    decision.ok = true;
    decision.firstTime = true;
    decision.close = std::move(close);
    return decision;
}

AgencySwitchDecision FileBetStore::setAgencyEnabled(quint32 agency, bool enabled, qint64 atMs)
{
    using Kind = AgencySwitchDecision::Kind;
    AgencySwitchDecision decision;
    QMutexLocker locker(&m_mutex);
    if (agency < 1 || agency > m_expectedAgencies) {
        decision.kind = Kind::UnknownAgency;
        decision.error = QStringLiteral("agency %1 is not one of this lottery's agencies 1..%2")
                             .arg(agency)
                             .arg(m_expectedAgencies);
        return decision;
    }
    // Decided under the lock that decides the close: a switch is never written after it.
    if (m_close) {
        decision.kind = Kind::AfterClose;
        decision.error = QStringLiteral("sales are closed: the draw is sealed, and disabling or "
                                        "enabling an agency cannot change it");
        return decision;
    }
    if (const QString refusal = refusalLocked(); !refusal.isEmpty()) {
        decision.error = refusal;
        return decision;
    }
    quint64 generation = 0;
    AgencyState &state = m_agencies[agency];
    if (state.disabled == !enabled) {
        decision.kind = Kind::Unchanged;
        generation = state.switchGeneration; // answered once that switch is durable
    } else {
        const WriteOutcome written
            = writeLocked({journal::agencySwitchRecord(agency, enabled, atMs)}, {}, {});
        if (!written.ok) {
            decision.error = written.error;
            return decision;
        }
        // welcome() refuses from now on; a write synced after this one implies it is durable.
        state.disabled = !enabled;
        state.switchGeneration = written.generation;
        generation = written.generation;
        decision.kind = Kind::Switched;
    }
    QString error;
    if (!waitDurable(locker, generation, &error)) {
        decision.kind = Kind::Failed;
        decision.error = error;
    }
    return decision;
}

QSet<quint32> FileBetStore::disabledAgencies() const
{
    QMutexLocker locker(&m_mutex);
    QSet<quint32> disabled;
    for (auto it = m_agencies.cbegin(); it != m_agencies.cend(); ++it) {
        if (it->disabled)
            disabled.insert(it.key());
    }
    return disabled;
}

bool FileBetStore::recoverBatchRows(AgencyState &agency, const JournalRecord &record,
    std::string_view rows, RecoveredWinners &winners, QString *error) const
{
    // One pass over the batch's rows: the winners for the draw, and the bets encoded as on the
    // wire for their agency's running digest (the bytes the agencies hashed when they sent them).
    quint64 bets = 0;
    const auto visit = [&](quint32 rowAgency, const protocol::BetView &bet) {
        if (bet.number == protocol::kWinningNumber) {
            winners.byAgency[rowAgency].emplace_back(bet.document);
            ++winners.count;
        }
        agency.digest.addBet(bet);
        ++bets;
    };
    while (!rows.empty()) {
        const std::size_t end = storedRowEnd(rows);
        if (!visitStoredRow(rows.substr(0, end), visit)) {
            // Checksummed, so written by us as it is: not a torn tail but a defect. Refuse to
            // start rather than run a draw over rows we cannot read.
            *error = QStringLiteral("%1: the batch at offset %2 has a row that is not a bet")
                         .arg(m_csvPath)
                         .arg(record.csvOffset);
            return false;
        }
        rows.remove_prefix(end);
    }
    if (bets != record.betCount) {
        *error = QStringLiteral("%1: the batch at offset %2 of agency %3 (sequence %4) holds %5 "
                                "rows, its journal record says %6")
                     .arg(m_csvPath)
                     .arg(record.csvOffset)
                     .arg(record.agency)
                     .arg(record.sequence)
                     .arg(bets)
                     .arg(record.betCount);
        return false;
    }
    agency.receipts.push_back(BatchReceipt {
        agency.digest.bets(), agency.digest.current(), record.csvOffset, record.csvLength});
    return true;
}

bool FileBetStore::replayJournal()
{
    QHash<quint32, AgencyState> agencies;
    RecoveredWinners recoveredWinners;
    quint64 bets = 0;
    quint32 doneAgencies = 0;
    journal::Replay replay(m_csvPath, m_csvFd, journalPath(), m_journalFd);
    const auto verdict
        = replay.run([&](const JournalRecord &record, std::string_view csvBytes, QString *error) {
              if (record.kind == RecordKind::Batch) {
                  AgencyState &agency = agencies[record.agency];
                  if (!recoverBatchRows(agency, record, csvBytes, recoveredWinners, error))
                      return false;
                  agency.batches.push_back(BatchPrint {record.betCount, record.csvCrc});
                  agency.storedBets += record.betCount;
                  bets += record.betCount;
              } else if (record.kind == RecordKind::AgencySwitch) {
                  agencies[record.agency].disabled = record.betCount == 0;
              } else if (record.kind == RecordKind::Done) {
                  AgencyState &agency = agencies[record.agency];
                  if (!agency.done) {
                      agency.done = true;
                      if (record.agency >= 1 && record.agency <= m_expectedAgencies)
                          ++doneAgencies;
                  }
              }
              return true;
          });

    using Verdict = journal::Replay::Verdict;
    if (verdict == Verdict::Failed) {
        m_error = replay.error();
        return false;
    }
    if (verdict == Verdict::Damaged) {
        // Not what a crash leaves: change nothing and say where, so that a person decides.
        const journal::Replay::Damage &damage = replay.damage();
        m_error = QStringLiteral("%1 at byte %2: %3; nothing was changed (see the recuperacion "
                                 "line and docs/RELIABILITY.md)")
                      .arg(damage.file)
                      .arg(damage.offset)
                      .arg(damage.problem);
        LOTTERY_LOG_FAIL("recuperacion")
            .field(u"file", damage.file)
            .field(u"offset", damage.offset)
            .field(u"agency", damage.agency)
            .field(u"sequence", damage.sequence)
            .field(u"error", damage.problem)
            .field(u"beyond", replay.beyondPrefix())
            .field(u"changed", "nothing")
            .field(u"fix",
                "restore the file from a backup or undo the edit, then start again; or run "
                "lottery-server --repair (same --storage/--config) to move everything from this "
                "point into side files and start with what precedes it (docs/RELIABILITY.md)");
        return false;
    }
    // Before anything is moved: a start with another agency count changes nothing.
    if (!checkIdentityLocked(replay))
        return false;
    quint64 truncatedBytes = 0;
    journal::RepairResult moved;
    if (verdict == Verdict::TornTail) {
        // What a crash left past the last synced write. Nothing there was acknowledged: an ACK
        // (or a DONE's answer) is sent only after fdatasync of both files covered its write, and
        // a synced write is whole in both files and covered by intact records, so it is in the
        // prefix. Dropping the tail loses only what no agency was told is stored; the agencies
        // resend it from the lastSequence their WELCOME gives.
        // It is still moved into side files, not deleted: a journal cut by a person exactly
        // where a crash could have cut it looks the same, and its rows must not be lost.
        truncatedBytes
            = (replay.journalSize() - replay.keptJournal()) + (replay.csvSize() - replay.keptCsv());
        moved = journal::moveBeyondPrefix(replay, m_csvPath, m_csvFd, journalPath(), m_journalFd,
            journal::sideFileSuffix(QStringLiteral("torn")), m_sync);
        if (!moved.ok) {
            m_error = QStringLiteral("cannot move the torn tail of %1 aside: %2 (nothing was "
                                     "cut; free space beside the store, or run --repair)")
                          .arg(m_csvPath, moved.error);
            return false;
        }
    }
    m_csvEnd = replay.keptCsv();
    m_journalEnd = replay.keptJournal();
    m_agencies = std::move(agencies);
    m_doneAgencies = doneAgencies;
    m_durableWinners = std::move(recoveredWinners.byAgency);
    m_durableBets = bets;
    m_durableWinnerCount = recoveredWinners.count;
    m_recoveredClose = replay.close();

    {
        LogLine line = LOTTERY_LOG_SUCCESS("recuperacion"); // written at the end of this block
        line.field(u"storage", m_csvPath)
            .field(u"records", replay.records())
            .field(u"bets", bets)
            .field(u"agencies", m_agencies.size())
            .field(u"truncated_bytes", truncatedBytes)
            .field(u"offset", m_csvEnd)
            .field(u"journal_offset", m_journalEnd);
        if (verdict == Verdict::TornTail) {
            line.field(u"torn_tail", replay.tailDescription())
                .field(u"dropped", replay.beyondPrefix())
                .field(u"kept_copy",
                    QStringList {moved.csvSideFile, moved.journalSideFile}.join(u' ').trimmed())
                .field(u"why", "a torn tail holds only writes never synced, so never acknowledged");
        }
    }
    return replay.identity() || recordIdentityLocked();
}

bool FileBetStore::checkIdentityLocked(const journal::Replay &replay)
{
    const std::optional<quint32> recorded = replay.identity();
    if (recorded && *recorded != m_expectedAgencies) {
        m_error = QStringLiteral(
            "the lottery in %1 was recorded for %2 agencies, but the configuration says %3: "
            "start with --agencies %2 (SERVER_AGENCIES=%2), or, if the lottery really changes, "
            "record it with lottery-server --set-agencies %3 (refused once an agency is done)")
                      .arg(m_csvPath)
                      .arg(*recorded)
                      .arg(m_expectedAgencies);
        LOTTERY_LOG_FAIL("identidad")
            .field(u"storage", m_csvPath)
            .field(u"recorded_agencies", *recorded)
            .field(u"configured_agencies", m_expectedAgencies)
            .field(u"error", m_error);
        return false;
    }
    return true;
}

bool FileBetStore::recordIdentityLocked()
{
    // A new store records its identity before any row; one written before identity records
    // existed adopts the configured count, once.
    const bool created = m_csvEnd == 0 && m_journalEnd == 0;
    QString error;
    // Part of creating the store, like the directory's sync: a full fsync of its own, not one of
    // the commits m_sync makes (whose count the tests' injected failures rely on).
    if (!journal::appendRecord(
            m_journalFd, m_journalEnd, journal::identityRecord(m_expectedAgencies, m_csvEnd),
            [](int fd) { return ::fsync(fd); }, &error)) {
        m_error = QStringLiteral("cannot record the lottery's identity in %1: %2")
                      .arg(journalPath(), error);
        return false;
    }
    m_journalEnd += kJournalRecordSize;
    LOTTERY_LOG_SUCCESS("identidad")
        .field(u"storage", m_csvPath)
        .field(u"agencies", m_expectedAgencies)
        .field(u"origin",
            created ? "new store" : "adopted from the configuration (the store had none)");
    return true;
}

QString FileBetStore::errorString() const
{
    QMutexLocker locker(&m_mutex);
    return m_error;
}

QString FileBetStore::describe() const
{
    return QStringLiteral("file:%1").arg(m_csvPath);
}

QString FileBetStore::refusalLocked() const
{
    if (m_failed)
        return m_failure;
    if (m_stopping)
        return QStringLiteral("storage is shutting down");
    if (m_csvFd < 0 || m_journalFd < 0)
        return QStringLiteral("storage is not open");
    return QString();
}

std::optional<AgencyProgress> FileBetStore::welcome(
    quint32 agency, QDeadlineTimer deadline, QString *error)
{
    Q_UNUSED(deadline);
    QMutexLocker locker(&m_mutex);
    if (const QString refusal = refusalLocked(); !refusal.isEmpty()) {
        *error = refusal;
        return std::nullopt;
    }
    const auto it = m_agencies.constFind(agency);
    return progressOf(it == m_agencies.constEnd() ? AgencyState {} : *it);
}

AgencyProgress FileBetStore::progressOf(const AgencyState &state) const
{
    return AgencyProgress {state.batches.size(), state.storedBets, state.done,
        state.digest.current(), m_close.has_value(), state.disabled};
}

QHash<quint32, AgencyProgress> FileBetStore::durableProgress() const
{
    QMutexLocker locker(&m_mutex);
    QHash<quint32, AgencyProgress> progress;
    // Called at start, before any write: everything recorded is durable (recovered).
    for (auto it = m_agencies.cbegin(); it != m_agencies.cend(); ++it)
        progress.insert(it.key(), progressOf(*it));
    return progress;
}

void FileBetStore::decideBatchesLocked(AgencyState &state, quint32 agency,
    const StoreRequest &request, bool salesClosed, quint64 csvEnd, PendingWrite &write,
    std::vector<BatchDecision> &decisions)
{
    using Kind = BatchDecision::Kind;
    PendingWinners winners;
    winners.agency = agency;
    for (std::size_t i = 0; i < request.batches.size(); ++i) {
        const BatchToStore &batch = request.batches[i];
        BatchDecision &decision = decisions[i];
        const quint64 next = state.batches.size() + 1;
        std::optional<BatchPrint> print;
        if (batch.sequence != 0 && batch.sequence < next)
            print = state.batches[batch.sequence - 1];
        decision = decideBatch(agency, batch, next, state.done, print, salesClosed);
        if (decision.kind == Kind::Duplicate && batch.sequence <= state.receipts.size()) {
            const BatchReceipt &receipt = state.receipts[batch.sequence - 1];
            decision.storedBets = receipt.storedBets;
            decision.digest = receipt.digest;
        }
        if (decision.kind == Kind::Stored) {
            state.batches.push_back(BatchPrint {batch.betCount, batch.crc});
            state.storedBets += batch.betCount;
            // Under the lock, like every other part of the agency's state: about 1.5 GB/s with
            // SHA-NI, so 8 KiB of bets hold it for a few microseconds (docs/PERFORMANCE.md).
            if (!batch.wireBets.empty()) {
                state.digest.addEncodedBets(batch.wireBets);
                state.digest.countBets(batch.betCount);
            } else { // a caller without the frame's bytes (tests, tools): encoded here
                for (const protocol::BetView &bet : batch.bets)
                    state.digest.addBet(bet);
            }
            state.receipts.push_back(BatchReceipt {state.storedBets, state.digest.current(),
                csvEnd + write.csvBytes, batch.csvRows.size()});
            write.csvBytes += batch.csvRows.size();
            decision.storedBets = state.storedBets;
            decision.digest = state.receipts.back().digest;
            JournalRecord record;
            record.kind = RecordKind::Batch;
            record.agency = agency;
            record.sequence = batch.sequence;
            record.betCount = batch.betCount;
            record.csvLength = batch.csvRows.size();
            record.csvCrc = batch.crc;
            write.records.push_back(record);
            write.rows.push_back(batch.csvRows);
            winners.bets += batch.betCount;
            winners.documents.insert(
                winners.documents.end(), batch.winners.begin(), batch.winners.end());
            write.stored.push_back(&decision);
        }
    }
    if (winners.bets > 0)
        write.winners.push_back(std::move(winners));
}

std::vector<StoreAnswer> FileBetStore::apply(std::vector<StoreRequest> requests)
{
    using Kind = BatchDecision::Kind;
    std::vector<StoreAnswer> answers(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i)
        answers[i].batches.resize(requests[i].batches.size());
    QMutexLocker locker(&m_mutex);
    if (const QString refusal = refusalLocked(); !refusal.isEmpty()) {
        for (StoreAnswer &answer : answers) {
            for (BatchDecision &decision : answer.batches) {
                decision.kind = m_failed ? Kind::Failed : Kind::Stopped;
                decision.error = refusal;
            }
            answer.done.error = refusal;
        }
        return answers;
    }

    // Every request is decided against the state as the earlier ones of this job left it; one
    // write then makes all of them durable, and one sync (shared with other workers) covers it.
    // By agency, not by reference: inserting into m_agencies may move its entries.
    struct Undo {
        quint32 agency;
        std::size_t batches;
        quint64 storedBets;
        bool done;
        RunningDigest digest;
    };
    std::vector<Undo> undo;
    undo.reserve(requests.size());
    PendingWrite write;
    std::vector<std::size_t> recordedDone; // requests whose DONE this job records
    for (std::size_t i = 0; i < requests.size(); ++i) {
        const StoreRequest &request = requests[i];
        AgencyState &state = m_agencies[request.agency];
        undo.push_back(Undo {
            request.agency, state.batches.size(), state.storedBets, state.done, state.digest});
        if (!request.done) {
            decideBatchesLocked(state, request.agency, request, m_close.has_value(), m_csvEnd,
                write, answers[i].batches);
        } else if (!state.done && !m_close) { // after the close a DONE changes nothing
            JournalRecord record;
            record.kind = RecordKind::Done;
            record.agency = request.agency;
            record.csvCrc = crc32Of(nullptr, 0);
            write.records.push_back(record);
            setDoneLocked(request.agency, state);
            recordedDone.push_back(i);
        }
    }

    // The last expected DONE closes the sales, in the same write: the close is implied by it.
    std::optional<std::size_t> closingDone;
    if (!recordedDone.empty() && !m_close && allDoneLocked()) {
        m_close = sealLocked(
            protocol::CloseReason::AllAgenciesDone, QDateTime::currentMSecsSinceEpoch());
        // The rows of this write's batches come before the close: its records give the csv end.
        quint64 csvEnd = m_csvEnd;
        for (const JournalRecord &record : write.records)
            csvEnd += record.kind == RecordKind::Batch ? record.csvLength : 0;
        for (JournalRecord &record : closeRecords(*m_close, csvEnd))
            write.records.push_back(record);
        closingDone = recordedDone.back();
    }
    if (!write.records.empty()) {
        const WriteOutcome written
            = writeLocked(std::move(write.records), write.rows, std::move(write.winners));
        if (!written.ok)
            m_close.reset();
        if (written.ok) {
            for (const Undo &entry : undo) {
                AgencyState &state = m_agencies[entry.agency];
                if (state.batches.size() != entry.batches || state.done != entry.done)
                    state.lastWriteGeneration = written.generation;
            }
        } else {
            // Nothing of it counts: the next resend of these sequences is stored afresh.
            for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
                AgencyState &state = m_agencies[it->agency];
                state.batches.resize(it->batches);
                state.receipts.resize(it->batches);
                state.storedBets = it->storedBets;
                state.digest = it->digest;
                if (state.done && !it->done)
                    unsetDoneLocked(it->agency, state);
            }
            for (BatchDecision *decision : write.stored) {
                decision->kind = Kind::Failed;
                decision->error = written.error;
            }
            for (std::size_t i : recordedDone)
                answers[i].done.error = written.error;
            recordedDone.clear();
        }
    }
    for (std::size_t i : recordedDone)
        answers[i].done.firstTime = true;
    // Every DONE of this job carries the close: the server answers them one by one, and the
    // first it answers starts the draw, so each must be able to tell that the sales closed.
    if (closingDone && m_close) {
        for (std::size_t i : recordedDone)
            answers[i].done.closedNow = m_close;
    }

    // Stored and Duplicate answers and DONE are acknowledgements: they wait until what they
    // vouch for (this write, or an earlier, maybe not yet synced write of the same agency) is
    // durable.
    quint64 needed = 0;
    for (const StoreRequest &request : requests)
        needed = qMax(needed, m_agencies[request.agency].lastWriteGeneration);
    QString syncError;
    const bool durable = waitDurable(locker, needed, &syncError);
    const Kind instead = m_failed ? Kind::Failed : Kind::Stopped;
    const bool allDone = allDoneLocked() || m_close.has_value(); // closed: the draw is due
    for (std::size_t i = 0; i < requests.size(); ++i) {
        StoreAnswer &answer = answers[i];
        if (requests[i].done) {
            if (!answer.done.error.isEmpty())
                continue;
            if (!durable) {
                answer.done.error = syncError;
                answer.done.firstTime = false;
                continue;
            }
            answer.done.ok = true;
            answer.done.allDone = allDone;
            continue;
        }
        if (durable)
            continue;
        for (BatchDecision &decision : answer.batches) {
            if (decision.kind == Kind::Stored || decision.kind == Kind::Duplicate) {
                decision.kind = instead;
                decision.error = syncError;
            }
        }
    }
    return answers;
}

void FileBetStore::setDoneLocked(quint32 agency, AgencyState &state)
{
    state.done = true;
    if (agency >= 1 && agency <= m_expectedAgencies)
        ++m_doneAgencies;
}

void FileBetStore::unsetDoneLocked(quint32 agency, AgencyState &state)
{
    state.done = false;
    if (agency >= 1 && agency <= m_expectedAgencies)
        --m_doneAgencies;
}

bool FileBetStore::allDoneLocked() const
{
    return m_doneAgencies >= m_expectedAgencies;
}

bool FileBetStore::readStoredBets(quint32 agency, quint64 from, quint32 count,
    std::vector<protocol::Bet> *bets, QString *error) const
{
    // Where the rows are, under the lock; read without it (the rows of a stored batch never
    // change, and the descriptor stays open until close(), after the pool has finished).
    struct Piece {
        quint64 offset = 0;
        quint64 length = 0;
        quint64 firstBet = 0; // the agency's index of the piece's first row
    };
    std::vector<Piece> pieces;
    int fd = -1;
    {
        QMutexLocker locker(&m_mutex);
        if (const QString refusal = refusalLocked(); !refusal.isEmpty()) {
            *error = refusal;
            return false;
        }
        const auto it = m_agencies.constFind(agency);
        const quint64 stored = it == m_agencies.constEnd() ? 0 : it->storedBets;
        if (*error = storedRangeError(agency, stored, from, count); !error->isEmpty())
            return false;
        const std::vector<BatchReceipt> &receipts = it->receipts;
        // The first batch whose bets run past `from`.
        auto batch = std::upper_bound(receipts.begin(), receipts.end(), from,
            [](quint64 index, const BatchReceipt &r) { return index < r.storedBets; });
        const quint64 end = from + count;
        for (; batch != receipts.end(); ++batch) {
            const auto sequence = static_cast<std::size_t>(batch - receipts.begin());
            const quint64 first = batch->storedBets - it->batches[sequence].betCount;
            if (first >= end)
                break;
            pieces.push_back(Piece {batch->csvOffset, batch->csvLength, first});
        }
        fd = m_csvFd;
    }
    bets->clear();
    bets->reserve(count);
    const quint64 end = from + count;
    std::string bytes;
    for (const Piece &piece : pieces) {
        QString readError;
        if (!journal::readAt(fd, &bytes, piece.offset, piece.length, &readError)) {
            *error = QStringLiteral("cannot read %1 at byte %2: %3")
                         .arg(m_csvPath)
                         .arg(piece.offset)
                         .arg(readError);
            return false;
        }
        std::string_view rows = bytes;
        for (quint64 index = piece.firstBet; !rows.empty() && index < end; ++index) {
            const std::size_t rowEnd = storedRowEnd(rows);
            if (index >= from) {
                const auto row = parseStoredBetRow(stripLineEnding(rows.substr(0, rowEnd)));
                if (!row || row->agency != agency) {
                    *error = QStringLiteral("%1: the row of agency %2's bet %3 at byte %4 is "
                                            "not its bet")
                                 .arg(m_csvPath)
                                 .arg(agency)
                                 .arg(index)
                                 .arg(piece.offset);
                    return false;
                }
                bets->push_back(std::move(row->bet));
            }
            rows.remove_prefix(rowEnd);
        }
    }
    if (bets->size() != count) {
        *error = QStringLiteral("%1: found %2 of agency %3's bets %4..%5")
                     .arg(m_csvPath)
                     .arg(bets->size())
                     .arg(agency)
                     .arg(from)
                     .arg(end - 1);
        return false;
    }
    return true;
}

DrawResult FileBetStore::draw()
{
    DrawResult result;
    QMutexLocker locker(&m_mutex);
    if (const QString refusal = refusalLocked(); !refusal.isEmpty()) {
        result.error = refusal;
        return result;
    }
    if (!m_close)
        return result;
    // Sales are closed (the last DONE, the schedule or the operator), so nothing more is
    // written: once all of it is durable the winners are final. They are kept as writes become
    // durable (and rebuilt by open()), so the draw is a copy, not a read of the whole of bets.csv.
    if (!waitDurable(locker, m_writeGeneration, &result.error))
        return result;
    result.completed = true;
    result.close = m_close;
    result.winners = m_durableWinners;
    result.bets = m_durableBets;
    result.winnerCount = m_durableWinnerCount;
    return result;
}

FileBetStore::WriteOutcome FileBetStore::writeLocked(std::vector<JournalRecord> records,
    const std::vector<std::string_view> &rows, std::vector<PendingWinners> winners)
{
    std::string journalBytes;
    journalBytes.reserve(records.size() * kJournalRecordSize);
    quint64 offset = m_csvEnd;
    for (JournalRecord &record : records) {
        record.csvOffset = offset;
        offset += record.csvLength;
        journalBytes += encodeRecord(record);
    }
    // One write when the rows already lie back to back (a worker encodes a job's rows so).
    std::size_t csvSize = 0;
    bool contiguous = true;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        csvSize += rows[i].size();
        if (i > 0 && rows[i - 1].data() + rows[i - 1].size() != rows[i].data())
            contiguous = false;
    }
    std::string joined;
    std::string_view csvBytes;
    if (contiguous && !rows.empty()) {
        csvBytes = std::string_view(rows.front().data(), csvSize);
    } else if (!rows.empty()) {
        joined.reserve(csvSize);
        for (std::string_view piece : rows)
            joined.append(piece);
        csvBytes = joined;
    }
    QString error;
    const bool written = journal::writeAt(m_csvFd, csvBytes, m_csvEnd, &error)
        && journal::writeAt(m_journalFd, journalBytes, m_journalEnd, &error);
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
    for (PendingWinners &pending : winners) {
        pending.generation = generation;
        m_pendingWinners.push_back(std::move(pending));
    }
    return {true, QString(), generation};
}

bool FileBetStore::waitDurable(QMutexLocker<QMutex> &locker, quint64 generation, QString *error)
{
    const QDeadlineTimer deadline(kSyncWaitMs);
    while (m_syncedGeneration < generation) {
        if (m_failed) {
            *error = m_failure;
            return false;
        }
        if (m_stopping) {
            *error = QStringLiteral("storage stopped before the write was synced");
            return false;
        }
        if (!m_syncInProgress) {
            // Lead a sync that covers every write made so far, including other workers'.
            m_syncInProgress = true;
            const quint64 target = m_writeGeneration;
            const int csvFd = m_csvFd;
            const int journalFd = m_journalFd;
            locker.unlock();
            QString syncError;
            if (m_sync(csvFd) != 0)
                syncError
                    = QStringLiteral("fdatasync of %1 failed: %2").arg(m_csvPath, errnoText(errno));
            else if (m_sync(journalFd) != 0)
                syncError = QStringLiteral("fdatasync of %1 failed: %2")
                                .arg(journalPath(), errnoText(errno));
            locker.relock();
            m_syncInProgress = false;
            ++m_stats.commits;
            m_stats.syncs += 2;
            if (syncError.isEmpty()) {
                m_syncedGeneration = qMax(m_syncedGeneration, target);
                promoteWinnersThrough(target);
            } else {
                markFailed(syncError);
            }
            m_syncDone.wakeAll();
            continue;
        }
        if (deadline.hasExpired()) {
            // Our bytes are in the files and may yet become durable (a restart replays them):
            // appending this sequence again later would store it twice. Refuse all writes.
            markFailed(QStringLiteral("fdatasync did not complete within %1 ms").arg(kSyncWaitMs));
            *error = m_failure;
            return false;
        }
        tsan::WaitAnnotation annotation(&m_mutex);
        m_syncDone.wait(&m_mutex, deadline);
    }
    return true;
}

// Called with the lock held, once a sync covering `generation` has succeeded.
void FileBetStore::promoteWinnersThrough(quint64 generation)
{
    std::size_t promoted = 0;
    for (PendingWinners &pending : m_pendingWinners) {
        if (pending.generation > generation)
            break;
        if (!pending.documents.empty()) { // as after open(): only agencies with winners appear
            std::vector<std::string> &documents = m_durableWinners[pending.agency];
            for (std::string &document : pending.documents)
                documents.push_back(std::move(document));
        }
        m_durableBets += pending.bets;
        m_durableWinnerCount += pending.documents.size();
        ++promoted;
    }
    m_pendingWinners.erase(m_pendingWinners.begin(), m_pendingWinners.begin() + promoted);
}

void FileBetStore::markFailed(const QString &reason)
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
    m_syncDone.wakeAll();
}

BetStore::Stats FileBetStore::stats() const
{
    QMutexLocker locker(&m_mutex);
    return m_stats;
}

bool FileBetStore::hasFailed() const
{
    QMutexLocker locker(&m_mutex);
    return m_failed;
}

void FileBetStore::requestStop()
{
    QMutexLocker locker(&m_mutex);
    m_stopping = true;
    m_syncDone.wakeAll();
}

void FileBetStore::close()
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

} // namespace lottery::server
