// What a pool thread does with a session's batches before the store decides about them: decode,
// validate and encode each BATCH body into its bets.csv rows (with their CRC-32), then hand the
// valid ones to BetStore::append() and turn its decisions into ACK / REJECT answers.
#pragma once

#include "server/net/received_batches.h"
#include "server/storage/bet_store.h"

#include "lottery/protocol/bet.h"
#include "lottery/protocol/codec.h"

#include <QString>

#include <optional>
#include <string_view>
#include <vector>

namespace lottery::server {

struct BatchOutcome {
    enum class Kind { Acked, Rejected, Malformed, Stopped };
    Kind kind = Kind::Stopped;
    protocol::Ack ack; // Acked
    // Acked, in a store that keeps digests: the receipt's fields (protocol version 2).
    quint64 storedBets = 0;
    protocol::Digest digest {};
    protocol::Reject reject; // Rejected
    std::optional<protocol::DecodeError> decodeError; // Malformed
    quint32 betCount = 0;
    QString error; // Rejected or Stopped: for the log
};

// An agency's write as its session hands it over, from the main thread through the store job
// queue to a worker: its consecutive BATCH frames (the bytes its session read, owned), with or
// without its DONE behind them, or its DONE alone. The worker decodes, validates and encodes
// the batches into the store's StoreRequest.
struct WriteRequest {
    quint32 agency = 0;
    bool done = false; // DONE alone, no batches
    // batches.doneFollows: the agency sent DONE right behind them (pipelined); it is recorded
    // after the batches, and only if every one of them is acknowledged.
    ReceivedBatches batches;
};

struct StoreJobOutput {
    // Batches: one outcome per body, in order, ending at the first Malformed body (the session
    // closes there).
    std::vector<BatchOutcome> outcomes;
    DoneDecision done; // if doneAttempted
    // A DONE alone, or the DONE behind the batches once every one of them was acknowledged:
    // the store decided it. False for a DONE behind a batch that was not acknowledged (not
    // recorded: the agency would be closed with bets it still has to send).
    bool doneAttempted = false;
    // The draw, read in the same job right after the DONE that completed the set of agencies
    // (done.firstTime and done.allDone: the last DONE, which closed the sales): the main thread
    // answers the held GET_WINNERS without another trip through the pool.
    std::optional<DrawResult> draw;
    qint64 drawMs = 0;
};

// A worker's job: every request's bodies decoded, validated and encoded into one buffer (so
// that the store can write all their rows at once), then one BetStore::apply() for all of them.
// One output per input, in order.
std::vector<StoreJobOutput> runStoreJob(
    const std::vector<WriteRequest> &requests, const protocol::CivilDate &today, BetStore &store);

protocol::CivilDate currentCivilDate();

// The agency checks its file against its own date, the server against its own: near midnight, or
// with the agency in a time zone ahead of the server's, a bet born on the agency's "today" is born
// on the server's tomorrow. So the server accepts birthdates up to its own date plus this many
// days (docs/PROTOCOL.md, "Whose today"): every bet an agency accepts is accepted here, whenever
// it is sent, as long as the two dates are at most a day apart.
inline constexpr int kBirthdateDaysAhead = 1;
// The latest birthdate the server accepts now: its local date plus kBirthdateDaysAhead.
protocol::CivilDate latestBirthdate();

} // namespace lottery::server
