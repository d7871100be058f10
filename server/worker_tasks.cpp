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
    BatchOutcome outcome;
    protocol::RawFrame frame;
    frame.type = static_cast<std::uint8_t>(protocol::MessageType::Batch);
    frame.body = body;
    protocol::FrameDecodeResult decoded = protocol::decodeFrame(frame);
    if (decoded.error) {
        outcome.kind = BatchOutcome::Kind::Malformed;
        outcome.decodeError = decoded.error;
        return outcome;
    }
    const auto &batch = std::get<protocol::Batch>(*decoded.message);
    outcome.betCount = static_cast<quint32>(batch.bets.size());
    auto reject = [&outcome](protocol::Reject reject) {
        outcome.kind = BatchOutcome::Kind::Rejected;
        outcome.error = QString::fromStdString(reject.reason);
        outcome.reject = std::move(reject);
        return outcome;
    };

    // Validation needs no lock, and an invalid batch is refused whatever its sequence.
    for (std::size_t i = 0; i < batch.bets.size(); ++i) {
        if (const auto error = protocol::validateBet(batch.bets[i], today)) {
            return reject(makeReject(batch.sequence, protocol::ErrorCode::InvalidBet,
                "bet " + std::to_string(i) + ": " + error->reason, static_cast<quint16>(i)));
        }
    }

    const auto claim = state.claimAgency(agency, QDeadlineTimer(kClaimWaitMs));
    if (claim != LotteryState::ClaimResult::Claimed) {
        outcome.kind = BatchOutcome::Kind::Stopped;
        outcome.error = claimError(claim);
        return outcome;
    }
    const AgencyProgress progress = state.progress(agency);
    if (progress.done) {
        state.releaseAgency(agency);
        return reject(makeReject(batch.sequence, protocol::ErrorCode::BatchAfterDone,
            "agency " + std::to_string(agency) + " already sent DONE"));
    }
    if (batch.sequence <= progress.lastSequence) {
        state.releaseAgency(agency);
        outcome.kind = BatchOutcome::Kind::Acked;
        outcome.ack = protocol::Ack {batch.sequence, static_cast<quint16>(batch.bets.size()), true};
        return outcome;
    }
    if (batch.sequence != progress.lastSequence + 1) {
        state.releaseAgency(agency);
        return reject(makeReject(batch.sequence, protocol::ErrorCode::SequenceGap,
            "expected sequence " + std::to_string(progress.lastSequence + 1) + ", got "
                + std::to_string(batch.sequence)));
    }

    const BetStorage::WriteResult written = storage.appendBatch(agency, batch.sequence, batch.bets);
    if (!written.ok) {
        state.releaseAgency(agency);
        return reject(makeReject(
            batch.sequence, protocol::ErrorCode::StorageFailure, written.error.toStdString()));
    }
    state.releaseAgency(agency, batch.sequence, batch.bets.size());
    outcome.kind = BatchOutcome::Kind::Acked;
    outcome.ack = protocol::Ack {batch.sequence, static_cast<quint16>(batch.bets.size()), false};
    return outcome;
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
