// The messages of the protocol, as plain values. docs/PROTOCOL.md gives their bytes.
#pragma once

#include "lottery/protocol/errors.h"
#include "lottery/protocol/limits.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lottery::protocol {

// Wire values are fixed: never renumber, only append.
enum class MessageType : std::uint8_t {
    Hello = 0x01, // agency -> server: version, agency number, token
    Welcome = 0x02, // server -> agency: version, what is already durably stored for the agency
    Batch = 0x03, // agency -> server: a numbered batch of bets
    Ack = 0x04, // server -> agency: that batch is durably stored
    Reject = 0x05, // server -> agency: that batch was refused, nothing of it stored
    Done = 0x06, // agency -> server: no more bets from this agency
    DoneAck = 0x07, // server -> agency: DONE is recorded
    GetWinners = 0x08, // agency -> server: send my winners (held until the draw)
    Winners = 0x09, // server -> agency: a chunk of winner documents
    Error = 0x0A, // either way: fatal for the session, the sender closes after it
    Receipt = 0x0B, // server -> agency, version 2: ACK plus the agency's running digest
    Sealed = 0x0C, // server -> agency, version 2: the close of sales and its seal, before WINNERS
    ListStored = 0x0D, // agency -> server, version 2: send me my stored bets [from, from + count)
    StoredList = 0x0E, // server -> agency, version 2: a chunk of those stored bets
};

inline const char *toString(MessageType type)
{
    switch (type) {
    case MessageType::Hello: return "HELLO";
    case MessageType::Welcome: return "WELCOME";
    case MessageType::Batch: return "BATCH";
    case MessageType::Ack: return "ACK";
    case MessageType::Reject: return "REJECT";
    case MessageType::Done: return "DONE";
    case MessageType::DoneAck: return "DONE_ACK";
    case MessageType::GetWinners: return "GET_WINNERS";
    case MessageType::Winners: return "WINNERS";
    case MessageType::Error: return "ERROR";
    case MessageType::Receipt: return "RECEIPT";
    case MessageType::Sealed: return "SEALED";
    case MessageType::ListStored: return "LIST_STORED";
    case MessageType::StoredList: return "STORED_LIST";
    }
    return "UNKNOWN";
}

inline bool isKnownMessageType(std::uint8_t value)
{
    return value >= 0x01 && value <= 0x0E;
}

// One bet as it travels. Text is UTF-8; birthdate is "YYYY-MM-DD".
struct Bet {
    std::string firstName;
    std::string lastName;
    std::string document;
    std::string birthdate;
    std::uint16_t number = 0;

    bool operator==(const Bet &o) const
    {
        return firstName == o.firstName && lastName == o.lastName && document == o.document
            && birthdate == o.birthdate && number == o.number;
    }
};

// A bet whose text fields are views into bytes owned elsewhere (a file's read buffer, a received
// frame). The hot paths parse, validate and re-encode bets through it without copying a field;
// every Bet can be looked at as one.
struct BetView {
    std::string_view firstName;
    std::string_view lastName;
    std::string_view document;
    std::string_view birthdate;
    std::uint16_t number = 0;

    BetView() = default;
    BetView(std::string_view first, std::string_view last, std::string_view doc,
        std::string_view birth, std::uint16_t num)
        : firstName(first), lastName(last), document(doc), birthdate(birth), number(num)
    {
    }
    BetView(const Bet &bet) // NOLINT(google-explicit-constructor): a Bet is a BetView
        : BetView(bet.firstName, bet.lastName, bet.document, bet.birthdate, bet.number)
    {
    }

    Bet toBet() const
    {
        return Bet {std::string(firstName), std::string(lastName), std::string(document),
            std::string(birthdate), number};
    }
};

struct Hello {
    std::uint16_t version = 0;
    std::uint32_t agency = 0;
    std::string token; // empty when the server runs without credentials
    bool operator==(const Hello &o) const
    {
        return version == o.version && agency == o.agency && token == o.token;
    }
};

// SHA-256 of an agency's stored bets (common/bet_digest.h says over what bytes).
using Digest = std::array<std::uint8_t, kDigestSize>;

struct Welcome {
    // WELCOME flags (version 2).
    static constexpr std::uint8_t kDoneFlag = 0x01; // DONE is recorded for this agency
    static constexpr std::uint8_t kSalesClosedFlag = 0x02; // sales are closed: no BATCH is stored
    static constexpr std::uint8_t kKnownFlags = kDoneFlag | kSalesClosedFlag;

    std::uint16_t version = 0;
    std::uint64_t lastSequence
        = 0; // last batch sequence number durably stored for this agency (0: none)
    std::uint64_t storedBets
        = 0; // bets durably stored for this agency: the agency resumes after them
    // Version 2 only (not on the wire in version 1):
    Digest digest {}; // running digest of those storedBets bets
    std::uint8_t flags = 0;
    bool operator==(const Welcome &o) const
    {
        return version == o.version && lastSequence == o.lastSequence && storedBets == o.storedBets
            && digest == o.digest && flags == o.flags;
    }
};

struct Batch {
    std::uint64_t sequence = 0; // 1, 2, 3, ... per agency
    std::vector<Bet> bets; // at least one
    bool operator==(const Batch &o) const { return sequence == o.sequence && bets == o.bets; }
};

struct Ack {
    std::uint64_t sequence = 0;
    std::uint16_t count = 0; // bets in the acknowledged batch
    bool duplicate
        = false; // the batch had been stored before: acknowledged again, not stored twice
    bool operator==(const Ack &o) const
    {
        return sequence == o.sequence && count == o.count && duplicate == o.duplicate;
    }
};

// Version 2's acknowledgement: an ACK that also says what the agency's stored bets now are, as a
// count and a digest the agency checks against its own file and keeps as its receipt.
struct Receipt {
    std::uint64_t sequence = 0;
    std::uint16_t count = 0; // bets in the acknowledged batch
    bool duplicate = false; // as in Ack
    std::uint64_t storedBets = 0; // the agency's stored bets up to and including this batch
    Digest digest {}; // running digest of those storedBets bets
    bool operator==(const Receipt &o) const
    {
        return sequence == o.sequence && count == o.count && duplicate == o.duplicate
            && storedBets == o.storedBets && digest == o.digest;
    }
};

// Why sales closed (SEALED, the store's close record, the log's `motivo`).
enum class CloseReason : std::uint8_t {
    AllAgenciesDone = 1, // the last expected agency's DONE
    Schedule = 2, // SERVER_SALES_CLOSE
    Operator = 3, // the operator console / POST /api/sales/close
};

inline bool isKnownCloseReason(std::uint8_t value)
{
    return value >= 1 && value <= 3;
}

// Version 2: sent once, right before the first WINNERS frame: the close of sales and the seal of
// the bets the draw ran over (docs/AUDIT.md), and this agency's own head, which its last
// receipt must equal.
struct Sealed {
    std::uint64_t closedAtMs = 0; // milliseconds since 1970-01-01T00:00:00Z
    CloseReason reason = CloseReason::AllAgenciesDone;
    std::uint64_t totalBets = 0; // every agency's sealed bets
    Digest root {}; // the seal
    std::uint64_t agencyBets = 0; // this agency's sealed bets
    Digest agencyDigest {}; // their running digest
    bool operator==(const Sealed &o) const
    {
        return closedAtMs == o.closedAtMs && reason == o.reason && totalBets == o.totalBets
            && root == o.root && agencyBets == o.agencyBets && agencyDigest == o.agencyDigest;
    }
};

// Version 2: an agency whose file no longer begins with its stored bets (rows corrected in place
// since) asks for them, to find which rows of its file they are (docs/PROTOCOL.md, section 7).
struct ListStored {
    std::uint64_t from = 0; // 0-based index of the first stored bet, in storage order
    std::uint16_t count = 0; // 1..kMaxListedBets
    bool operator==(const ListStored &o) const { return from == o.from && count == o.count; }
};

// Version 2: one chunk of the answer to LIST_STORED: the stored bets [from, from + bets.size()),
// in storage order, each exactly as a BATCH carries it; the last chunk of the answer is final.
struct StoredList {
    std::uint64_t from = 0;
    bool final = true; // false: more STORED_LIST frames of the same answer follow
    std::vector<Bet> bets; // at least one
    bool operator==(const StoredList &o) const
    {
        return from == o.from && final == o.final && bets == o.bets;
    }
};

struct Reject {
    std::uint64_t sequence = 0;
    ErrorCode code = ErrorCode::InvalidBet;
    std::uint16_t betIndex = kNoBetIndex; // 0-based index in the batch, or kNoBetIndex
    std::string reason;
    bool operator==(const Reject &o) const
    {
        return sequence == o.sequence && code == o.code && betIndex == o.betIndex
            && reason == o.reason;
    }
};

struct Done {
    bool operator==(const Done &) const { return true; }
};

struct DoneAck {
    bool operator==(const DoneAck &) const { return true; }
};

struct GetWinners {
    bool operator==(const GetWinners &) const { return true; }
};

struct Winners {
    bool final = true; // false: more WINNERS frames follow
    std::vector<std::string> documents; // this chunk's documents
    bool operator==(const Winners &o) const { return final == o.final && documents == o.documents; }
};

struct ErrorMessage {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
    bool operator==(const ErrorMessage &o) const { return code == o.code && message == o.message; }
};

using Message = std::variant<Hello, Welcome, Batch, Ack, Reject, Done, DoneAck, GetWinners, Winners,
    ErrorMessage, Receipt, Sealed, ListStored, StoredList>;

inline MessageType typeOf(const Message &message)
{
    static constexpr MessageType kTypes[] = {
        MessageType::Hello,
        MessageType::Welcome,
        MessageType::Batch,
        MessageType::Ack,
        MessageType::Reject,
        MessageType::Done,
        MessageType::DoneAck,
        MessageType::GetWinners,
        MessageType::Winners,
        MessageType::Error,
        MessageType::Receipt,
        MessageType::Sealed,
        MessageType::ListStored,
        MessageType::StoredList,
    };
    return kTypes[message.index()];
}

} // namespace lottery::protocol
