#include "server/worker_tasks.h"

#include <QDate>
#include <QDeadlineTimer>
#include <QElapsedTimer>

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
    return processBatches({body}, agency, today, storage, state).front();
}

namespace {

struct DecodedBatch {
    quint64 sequence = 0;
    std::vector<protocol::Bet> bets;
};

// Decodes and validates one body; no lock needed, and an invalid batch is refused whatever its
// sequence. Returns the batch, or sets `outcome` to Malformed or Rejected.
std::optional<DecodedBatch> decodeAndValidate(
    const std::string &body, const protocol::CivilDate &today, BatchOutcome &outcome)
{
    protocol::RawFrame frame;
    frame.type = static_cast<std::uint8_t>(protocol::MessageType::Batch);
    frame.body = body;
    protocol::FrameDecodeResult decoded = protocol::decodeFrame(frame);
    if (decoded.error) {
        outcome.kind = BatchOutcome::Kind::Malformed;
        outcome.decodeError = decoded.error;
        return std::nullopt;
    }
    auto &batch = std::get<protocol::Batch>(*decoded.message);
    outcome.betCount = static_cast<quint32>(batch.bets.size());
    for (std::size_t i = 0; i < batch.bets.size(); ++i) {
        if (const auto error = protocol::validateBet(batch.bets[i], today)) {
            outcome.kind = BatchOutcome::Kind::Rejected;
            outcome.reject = makeReject(batch.sequence, protocol::ErrorCode::InvalidBet,
                "bet " + std::to_string(i) + ": " + error->reason, static_cast<quint16>(i));
            outcome.error = QString::fromStdString(outcome.reject.reason);
            return std::nullopt;
        }
    }
    return DecodedBatch {batch.sequence, std::move(batch.bets)};
}

void setRejected(BatchOutcome &outcome, protocol::Reject reject)
{
    outcome.kind = BatchOutcome::Kind::Rejected;
    outcome.error = QString::fromStdString(reject.reason);
    outcome.reject = std::move(reject);
}

} // namespace

std::vector<BatchOutcome> processBatches(const std::vector<std::string> &bodies, quint32 agency,
    const protocol::CivilDate &today, BetStorage &storage, LotteryState &state)
{
    std::vector<BatchOutcome> outcomes;
    std::vector<std::optional<DecodedBatch>> batches;
    for (const std::string &body : bodies) {
        outcomes.emplace_back();
        batches.push_back(decodeAndValidate(body, today, outcomes.back()));
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
    quint64 lastGeneration = 0;
    std::vector<std::size_t> written; // indexes of the batches waiting for the sync
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        if (!batches[i])
            continue;
        const DecodedBatch &batch = *batches[i];
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
                = protocol::Ack {batch.sequence, static_cast<quint16>(batch.bets.size()), true};
            continue;
        }
        if (batch.sequence != progress.lastSequence + 1) {
            setRejected(outcome,
                makeReject(batch.sequence, protocol::ErrorCode::SequenceGap,
                    "expected sequence " + std::to_string(progress.lastSequence + 1) + ", got "
                        + std::to_string(batch.sequence)));
            continue;
        }
        const BetStorage::PendingWrite write
            = storage.writeBatch(agency, batch.sequence, batch.bets);
        if (!write.ok) {
            setRejected(outcome,
                makeReject(batch.sequence, protocol::ErrorCode::StorageFailure,
                    write.error.toStdString()));
            continue;
        }
        progress.lastSequence = batch.sequence;
        storedBets += batch.bets.size();
        lastGeneration = write.generation;
        outcome.kind = BatchOutcome::Kind::Acked;
        outcome.ack
            = protocol::Ack {batch.sequence, static_cast<quint16>(batch.bets.size()), false};
        written.push_back(i);
    }
    if (written.empty()) {
        state.releaseAgency(agency);
        return outcomes;
    }
    const BetStorage::WriteResult synced = storage.syncThrough(lastGeneration);
    if (!synced.ok) {
        // Written but not known durable: none of them may be acknowledged.
        for (std::size_t i : written) {
            setRejected(outcomes[i],
                makeReject(outcomes[i].ack.sequence, protocol::ErrorCode::StorageFailure,
                    synced.error.toStdString()));
        }
        state.releaseAgency(agency);
        return outcomes;
    }
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
    // Streamed: only the winners are kept, so the draw's memory does not grow with bets.csv.
    const bool read = storage.forEachDurableBet(
        [&outcome](quint32 agency, std::string_view document, std::uint16_t number) {
            ++outcome.betsRead;
            if (number == protocol::kWinningNumber) {
                outcome.winners[agency].emplace_back(document);
                ++outcome.winnerCount;
            }
        },
        &outcome.error);
    outcome.elapsedMs = clock.elapsed();
    if (!read) {
        outcome.winners.clear();
        return outcome;
    }
    outcome.ok = true;
    return outcome;
}

} // namespace lottery::server
