// The limits a peer can run into besides the protocol's own (docs/DESIGN.md, "Every peer
// bounded"): each is enforced by one owner, closes or refuses with a clear code, and is counted
// for the operator (lottery_peer_limit_total{limit=...}).
#pragma once

#include <QString>

namespace lottery::server {

enum class PeerLimit {
    // Session: the answers queued for a peer that does not read passed
    // SessionLimits::maxQueuedOutputBytes: the connection is dropped.
    OutputQueue,
    // Session: a second GET_WINNERS on one connection: ERROR(UnexpectedMessage), closed.
    WinnersRepeated,
    // Session: an upload slot holder sent nothing for SessionLimits::uploadSlotIdleMs: its slot
    // and its share of the buffer budget go back.
    UploadSlotIdle,
    // Session: an upload slot holder parked on GET_WINNERS (with or without DONE): the same.
    UploadSlotParked,
    // TokenCheckQueue: a HELLO found the token-check queue (or its address's share) full:
    // ERROR(ServerBusy).
    TokenCheckQueueFull,
    // TokenCheckQueue: a HELLO's connection closed before its token was checked: no check made.
    TokenCheckCancelled,
    // Session: LIST_STORED past the connection's budget (each bet WELCOME said is stored, once
    // per connection): ERROR(UnexpectedMessage), closed.
    ListStoredBudget,
    // StoredListQueue: a LIST_STORED waited for one of the kMaxRunning listings to finish.
    ListStoredWaited,
};
inline constexpr int kPeerLimits = 8;

inline QString toString(PeerLimit limit)
{
    switch (limit) {
    case PeerLimit::OutputQueue: return QStringLiteral("output_queue");
    case PeerLimit::WinnersRepeated: return QStringLiteral("winners_repeated");
    case PeerLimit::UploadSlotIdle: return QStringLiteral("upload_slot_idle");
    case PeerLimit::UploadSlotParked: return QStringLiteral("upload_slot_parked");
    case PeerLimit::TokenCheckQueueFull: return QStringLiteral("token_check_queue_full");
    case PeerLimit::TokenCheckCancelled: return QStringLiteral("token_check_cancelled");
    case PeerLimit::ListStoredBudget: return QStringLiteral("list_stored_budget");
    case PeerLimit::ListStoredWaited: return QStringLiteral("list_stored_waited");
    }
    return QStringLiteral("unknown");
}

} // namespace lottery::server
