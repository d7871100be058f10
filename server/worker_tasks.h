// The blocking work a pool thread does: decode, validate and store a batch; record DONE; run the
// draw. Plain functions over the storage and the shared state, so they can be tested alone.
#pragma once

#include "server/bet_storage.h"
#include "server/lottery_state.h"

#include "lottery/protocol/bet.h"
#include "lottery/protocol/codec.h"

#include <QString>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lottery::server {

struct BatchOutcome {
    enum class Kind { Acked, Rejected, Malformed, Stopped };
    Kind kind = Kind::Stopped;
    protocol::Ack ack; // Acked
    protocol::Reject reject; // Rejected
    std::optional<protocol::DecodeError> decodeError; // Malformed
    quint32 betCount = 0;
    QString error; // Rejected or Stopped: for the log
};

// `body` is a BATCH frame's body, cut out by the session; `today` bounds birthdates.
BatchOutcome processBatch(const std::string &body, quint32 agency, const protocol::CivilDate &today,
    BetStorage &storage, LotteryState &state);

// Consecutive BATCH bodies of one session, handled exactly as one processBatch() after another
// (same outcomes, in order), except that every batch stored is covered by one fdatasync: each is
// written, then all wait for the sync, and only then may they be acknowledged. The outcomes end
// at the first Malformed body (the session closes there).
std::vector<BatchOutcome> processBatches(const std::vector<std::string_view> &bodies,
    quint32 agency, const protocol::CivilDate &today, BetStorage &storage, LotteryState &state);

struct DoneOutcome {
    bool ok = false;
    bool repeated = false; // DONE had already been recorded
    QString error;
};

DoneOutcome processDone(quint32 agency, BetStorage &storage, LotteryState &state);

struct DrawOutcome {
    bool ok = false;
    QString error;
    WinnersByAgency winners; // documents of the winning bets per agency, in file order
    quint64 betsRead = 0;
    quint64 winnerCount = 0;
    qint64 elapsedMs = 0; // collecting the winners
};

// The winning bets of everything durably stored (BetStorage::durableWinners()). Does not touch
// the shared state.
DrawOutcome runDraw(const BetStorage &storage);

protocol::CivilDate currentCivilDate();

} // namespace lottery::server
