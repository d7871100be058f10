// The rules every store applies to a batch, in one place: given what is durable for the agency
// (its next sequence, whether it said DONE, the fingerprint stored for a resent sequence), the
// batch is stored, a duplicate, or refused with the reason the peer gets. Pure: the stores look
// the state up (a map in memory, rows under a lock) and record what this decides.
#pragma once

#include "server/storage/bet_store.h"

#include <QLatin1Char>
#include <QString>

#include <optional>

namespace lottery::server {

// A stored batch's fingerprint: a resend is a duplicate only if both match.
struct BatchPrint {
    quint32 betCount = 0;
    quint32 crc = 0;
};

// `next`: the sequence the agency's next new batch must have (last stored + 1). `stored`: the
// fingerprint of the batch stored under `batch.sequence`, when that sequence is below `next`
// (nullopt when the store has none, which only a damaged store can produce). Kind::Stored means
// "store it now": the caller records it and advances `next`.
inline BatchDecision decideBatch(quint32 agency, const BatchToStore &batch, quint64 next, bool done,
    const std::optional<BatchPrint> &stored, bool salesClosed = false)
{
    using Kind = BatchDecision::Kind;
    BatchDecision decision;
    if (batch.sequence == 0) {
        decision.kind = Kind::ZeroSequence;
        decision.expectedSequence = next;
        decision.error = QStringLiteral("sequence 0 is not a batch sequence (they start at 1); "
                                        "expected %1")
                             .arg(next);
    } else if (done) {
        decision.kind = Kind::AfterDone;
        decision.error = QStringLiteral("agency %1 already sent DONE").arg(agency);
    } else if (batch.sequence < next) {
        if (stored && stored->betCount == batch.betCount && stored->crc == batch.crc) {
            decision.kind = Kind::Duplicate;
            return decision;
        }
        decision.kind = Kind::Conflict;
        decision.expectedSequence = next;
        decision.error = !stored
            ? QStringLiteral("sequence %1 is below the next expected %2 but has no stored batch")
                  .arg(batch.sequence)
                  .arg(next)
            : QStringLiteral("sequence %1 is stored with other content (%2 bets, CRC %3; this "
                             "one: %4 bets, CRC %5); expected %6")
                  .arg(batch.sequence)
                  .arg(stored->betCount)
                  .arg(stored->crc, 8, 16, QLatin1Char('0'))
                  .arg(batch.betCount)
                  .arg(batch.crc, 8, 16, QLatin1Char('0'))
                  .arg(next);
    } else if (batch.sequence != next) {
        decision.kind = Kind::Gap;
        decision.expectedSequence = next;
        decision.error
            = QStringLiteral("expected sequence %1, got %2").arg(next).arg(batch.sequence);
    } else {
        decision.kind = Kind::Stored;
    }
    // After the close nothing new is stored: a resend of a stored batch is still acknowledged
    // (it is in the seal), anything else is refused for the close rather than for its sequence.
    if (salesClosed && decision.kind != Kind::Duplicate && decision.kind != Kind::ZeroSequence
        && decision.kind != Kind::AfterDone) {
        decision.kind = Kind::AfterClose;
        decision.expectedSequence = 0;
        decision.error = QStringLiteral("sales are closed: batch %1 of agency %2 was not stored")
                             .arg(batch.sequence)
                             .arg(agency);
    }
    return decision;
}

} // namespace lottery::server
