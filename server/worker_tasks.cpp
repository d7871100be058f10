#include "server/worker_tasks.h"

#include <QDate>
#include <QDeadlineTimer>
#include <QElapsedTimer>

#include <algorithm>

namespace lottery::server {

namespace {

// How long a batch waits for a superseded session's batch of the same agency to finish.
constexpr int kClaimWaitMs = 30000;

protocol::Reject makeReject(quint64 sequence, protocol::ErrorCode code, const std::string &reason,
    quint16 betIndex = protocol::kNoBetIndex)
{
    protocol::Reject reject;
    reject.sequence = sequence;
    reject.code = code;
    reject.betIndex = betIndex;
    reject.reason = reason;
    return reject;
}

QString claimError(LotteryState::ClaimResult result)
{
    return result == LotteryState::ClaimResult::Stopped
        ? QStringLiteral("server is shutting down")
        : QStringLiteral("timed out waiting for another write of the same agency");
}

} // namespace

protocol::CivilDate currentCivilDate()
{
    const QDate today = QDate::currentDate();
    return protocol::CivilDate {today.year(), today.month(), today.day()};
}

BatchOutcome processBatch(const std::string &body, quint32 agency, const protocol::CivilDate &today,
    BetStorage &storage, LotteryState &state)
{
    return processBatches({std::string_view(body)}, agency, today, storage, state).front();
}

namespace {

// One BATCH body decoded, validated and already in its bets.csv form.
struct PreparedBatch {
    quint64 sequence = 0;
    quint32 betCount = 0;
    std::size_t csvOffset = 0; // where its rows start in the task's CSV buffer
    std::size_t csvLength = 0;
    std::vector<std::string> winners; // documents of its winning bets
};

// Decodes, validates and encodes one body in a single pass, each bet a view into the body: no
// lock needed, and an invalid batch is refused whatever its sequence. A malformed body is
// reported as malformed even when an earlier bet of it was invalid, as a whole-frame decode
// would. The rows are appended to `csv`; on failure `csv` is left as it was and `outcome` says
// why (Malformed or Rejected).
// The rows of a task's batches, back to back. Grows by doubling and writes rows in place: no
// per-row resize (which zero-fills) or append.
class CsvBuffer
{
public:
    explicit CsvBuffer(std::size_t capacity) { m_bytes.resize(capacity); }

    std::size_t size() const { return m_used; }
    void truncate(std::size_t size) { m_used = size; }
    std::string_view view(std::size_t offset, std::size_t length) const
    {
        return std::string_view(m_bytes).substr(offset, length);
    }

    void append(const protocol::StoredBetRow &row)
    {
        if (m_bytes.size() - m_used < row.size())
            m_bytes.resize(std::max(m_bytes.size() * 2, m_used + row.size()));
        row.writeTo(m_bytes.data() + m_used);
        m_used += row.size();
    }

private:
    std::string m_bytes;
    std::size_t m_used = 0;
};

std::optional<PreparedBatch> prepareBatch(std::string_view body, quint32 agency,
    const protocol::CivilDate &today, CsvBuffer &csv, BatchOutcome &outcome)
{
    protocol::BatchReader reader(body);
    const std::size_t start = csv.size();
    PreparedBatch batch;
    batch.sequence = reader.sequence();
    std::optional<protocol::BetError> invalid;
    std::size_t invalidIndex = 0;
    std::size_t index = 0;
    protocol::BetView bet;
    for (; reader.next(bet); ++index) {
        if (invalid)
            continue; // refused already; read on only to tell a malformed body apart
        // BatchReader has checked every field's UTF-8 already.
        if (auto error = protocol::validateBet(bet, today, protocol::Utf8Check::AlreadyDone)) {
            invalid = std::move(error);
            invalidIndex = index;
            continue;
        }
        csv.append(protocol::StoredBetRow(agency, bet));
        if (protocol::isWinner(bet))
            batch.winners.emplace_back(bet.document);
    }
    if (const auto error = reader.error()) {
        csv.truncate(start);
        outcome.kind = BatchOutcome::Kind::Malformed;
        outcome.decodeError = error;
        return std::nullopt;
    }
    outcome.betCount = reader.count();
    if (invalid) {
        csv.truncate(start);
        outcome.kind = BatchOutcome::Kind::Rejected;
        outcome.reject = makeReject(batch.sequence, protocol::ErrorCode::InvalidBet,
            "bet " + std::to_string(invalidIndex) + ": " + invalid->reason,
            static_cast<quint16>(invalidIndex));
        outcome.error = QString::fromStdString(outcome.reject.reason);
        return std::nullopt;
    }
    batch.betCount = reader.count();
    batch.csvOffset = start;
    batch.csvLength = csv.size() - start;
    return batch;
}

void setRejected(BatchOutcome &outcome, protocol::Reject reject)
{
    outcome.kind = BatchOutcome::Kind::Rejected;
    outcome.error = QString::fromStdString(reject.reason);
    outcome.reject = std::move(reject);
}

} // namespace

std::vector<BatchOutcome> processBatches(const std::vector<std::string_view> &bodies,
    quint32 agency, const protocol::CivilDate &today, BetStorage &storage, LotteryState &state)
{
    std::vector<BatchOutcome> outcomes;
    std::vector<std::optional<PreparedBatch>> batches;
    // Every batch's rows in one buffer, back to back, so consecutive batches go out in one write.
    std::size_t bodyBytes = 0;
    for (std::string_view body : bodies)
        bodyBytes += body.size();
    CsvBuffer csv(bodyBytes + bodyBytes / 4 + 256); // a row is ~10 % longer than its wire form
    for (std::string_view body : bodies) {
        outcomes.emplace_back();
        batches.push_back(prepareBatch(body, agency, today, csv, outcomes.back()));
        if (outcomes.back().kind == BatchOutcome::Kind::Malformed)
            break;
    }

    const auto claim = state.claimAgency(agency, QDeadlineTimer(kClaimWaitMs));
    if (claim != LotteryState::ClaimResult::Claimed) {
        for (std::size_t i = 0; i < outcomes.size(); ++i) {
            if (!batches[i])
                continue; // malformed or invalid: answered as such
            outcomes[i].kind = BatchOutcome::Kind::Stopped;
            outcomes[i].error = claimError(claim);
        }
        return outcomes;
    }
    // What the agency's progress will be once the writes below are durable.
    AgencyProgress progress = state.progress(agency);
    quint64 storedBets = 0;
    std::vector<BetStorage::EncodedBatch> toWrite;
    std::vector<std::size_t> written; // indexes of the batches waiting for the sync
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (!batches[i])
            continue;
        PreparedBatch &batch = *batches[i];
        BatchOutcome &outcome = outcomes[i];
        if (progress.done) {
            setRejected(outcome,
                makeReject(batch.sequence, protocol::ErrorCode::BatchAfterDone,
                    "agency " + std::to_string(agency) + " already sent DONE"));
            continue;
        }
        if (batch.sequence <= progress.lastSequence) {
            outcome.kind = BatchOutcome::Kind::Acked;
            outcome.ack
                = protocol::Ack {batch.sequence, static_cast<quint16>(batch.betCount), true};
            continue;
        }
        if (batch.sequence != progress.lastSequence + 1) {
            setRejected(outcome,
                makeReject(batch.sequence, protocol::ErrorCode::SequenceGap,
                    "expected sequence " + std::to_string(progress.lastSequence + 1) + ", got "
                        + std::to_string(batch.sequence)));
            continue;
        }
        progress.lastSequence = batch.sequence;
        storedBets += batch.betCount;
        toWrite.push_back(BetStorage::EncodedBatch {batch.sequence, batch.betCount,
            csv.view(batch.csvOffset, batch.csvLength), std::move(batch.winners)});
        outcome.kind = BatchOutcome::Kind::Acked;
        outcome.ack = protocol::Ack {batch.sequence, static_cast<quint16>(batch.betCount), false};
        written.push_back(i);
    }
    if (written.empty()) {
        state.releaseAgency(agency);
        return outcomes;
    }
    // Written but not yet known durable: none of them may be acknowledged if either step fails.
    const auto refuseWritten = [&](const QString &reason) {
        for (std::size_t i : written) {
            setRejected(outcomes[i],
                makeReject(outcomes[i].ack.sequence, protocol::ErrorCode::StorageFailure,
                    reason.toStdString()));
        }
        state.releaseAgency(agency);
        return outcomes;
    };
    const BetStorage::PendingWrite write = storage.writeBatches(agency, toWrite);
    if (!write.ok)
        return refuseWritten(write.error);
    const BetStorage::WriteResult synced = storage.syncThrough(write.generation);
    if (!synced.ok)
        return refuseWritten(synced.error);
    state.releaseAgency(agency, progress.lastSequence, storedBets);
    return outcomes;
}

DoneOutcome processDone(quint32 agency, BetStorage &storage, LotteryState &state)
{
    DoneOutcome outcome;
    const auto claim = state.claimAgency(agency, QDeadlineTimer(kClaimWaitMs));
    if (claim != LotteryState::ClaimResult::Claimed) {
        outcome.error = claimError(claim);
        return outcome;
    }
    if (state.progress(agency).done) {
        state.releaseAgency(agency);
        outcome.ok = true;
        outcome.repeated = true;
        return outcome;
    }
    const BetStorage::WriteResult written = storage.appendDone(agency);
    if (!written.ok) {
        state.releaseAgency(agency);
        outcome.error = written.error;
        return outcome;
    }
    state.markDone(agency);
    outcome.ok = true;
    return outcome;
}

DrawOutcome runDraw(const BetStorage &storage)
{
    DrawOutcome outcome;
    QElapsedTimer clock;
    clock.start();
    // The storage keeps the winners of what is durable as it becomes durable (and rebuilds them
    // from the files at start), so the draw is a copy, not a read of the whole of bets.csv.
    BetStorage::DurableWinners durable = storage.durableWinners();
    outcome.winners = std::move(durable.winners);
    outcome.betsRead = durable.bets;
    outcome.winnerCount = durable.winnerCount;
    outcome.elapsedMs = clock.elapsed();
    outcome.ok = true;
    return outcome;
}

} // namespace lottery::server
