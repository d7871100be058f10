// Every protocol limit lives here, each with the reason it has the value it has.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lottery::protocol {

// Protocol versions. HELLO carries the highest version the agency speaks; the server answers
// WELCOME with the version the session will speak: the lower of the agency's and its own
// (docs/PROTOCOL.md, section 7 "Versions"). Version 1 is the course's protocol, kept unchanged for
// agencies in the field; version 2 adds receipts (RECEIPT instead of ACK, a digest in WELCOME).
inline constexpr std::uint16_t kProtocolVersion1 = 1;
inline constexpr std::uint16_t kProtocolVersion2 = 2;
inline constexpr std::uint16_t kLatestProtocolVersion = kProtocolVersion2;
// The version of every frame the course's tests and version-1 agencies exchange.
inline constexpr std::uint16_t kProtocolVersion = kProtocolVersion1;

// A SHA-256 digest (receipts, the seal): 32 bytes on the wire, no length prefix.
inline constexpr std::size_t kDigestSize = 32;

// Whole frame, header included. The course asks for 8 KiB packets; it also bounds what a peer can
// make us buffer before we have checked anything.
inline constexpr std::size_t kMaxFrameSize = 8192;

// The length prefix (u32) plus the type byte.
inline constexpr std::size_t kFrameHeaderSize = 5;
inline constexpr std::size_t kLengthFieldSize = 4;

// Largest body a frame may carry.
inline constexpr std::size_t kMaxBodySize = kMaxFrameSize - kFrameHeaderSize;

// Bet text fields are prefixed by one byte: a name longer than 255 UTF-8 bytes is not a real name.
inline constexpr std::size_t kMaxBetFieldBytes = 255;

// Documents are national ID numbers: digits only, and no country uses more than 20.
inline constexpr std::size_t kMaxDocumentDigits = 20;

// The lottery's numbers are 0000..9999.
inline constexpr std::uint16_t kMaxBetNumber = 9999;

// The number that wins the draw (the course's LOTTERY_WINNER_NUMBER).
inline constexpr std::uint16_t kWinningNumber = 7574;

// Birthdates before this year are treated as typing errors.
inline constexpr int kMinBirthYear = 1900;

// Free text (reasons, error messages, tokens) is u16-prefixed but must still fit in one frame.
// The encoder clips to it and the decoder refuses more, so every decoded message re-encodes as is.
inline constexpr std::size_t kMaxTextBytes = 1024;

// Smallest bet the wire format can carry: four 1-byte lengths of empty fields and the u16 number.
// The decoder only bounds a bet count with it; the field rules are validateBet()'s job, so that a
// bad bet earns REJECT(InvalidBet, betIndex) rather than a malformed-frame ERROR.
inline constexpr std::size_t kMinEncodedBetSize = 4 + 2;

// Smallest document in a WINNERS body: its 1-byte length (the bytes may be empty).
inline constexpr std::size_t kMinEncodedDocumentSize = 1;

// Fixed part of a BATCH body: u64 sequence + u16 count.
inline constexpr std::size_t kBatchHeaderSize = 8 + 2;

// Fixed part of a WINNERS body: u8 final flag + u16 count.
inline constexpr std::size_t kWinnersHeaderSize = 1 + 2;

// Stored bets one LIST_STORED may ask for (version 2). An answer of the largest valid bets
// (1,026 bytes each) stays near 1 MiB, what the server lets a peer leave unread; typical bets
// (~50 bytes) fill about 7 STORED_LIST frames.
inline constexpr std::uint16_t kMaxListedBets = 1024;

// Fixed part of a STORED_LIST body: u64 from + u8 final flag + u16 count.
inline constexpr std::size_t kStoredListHeaderSize = 8 + 1 + 2;

// Marks a REJECT that concerns the whole batch rather than one bet in it.
inline constexpr std::uint16_t kNoBetIndex = 0xFFFF;

} // namespace lottery::protocol
