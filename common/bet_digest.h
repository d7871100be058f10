// The running SHA-256 digest of an agency's stored bets: the receipts of protocol version 2 and
// the seal of the draw (docs/AUDIT.md).
//
// The digest after n bets is SHA-256 over the wire encodings (docs/PROTOCOL.md, "One bet") of
// the agency's first n bets, in the order they were stored, back to back. It does not depend on
// how the bets were cut into batches, so an agency (or an auditor) recomputes it from its file
// whatever batch size the upload used, and a server hands it out after every batch by finishing
// a copy of the running state.
#pragma once

#include "lottery/protocol/messages.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lottery {

class RunningDigest
{
public:
    RunningDigest();
    ~RunningDigest();
    RunningDigest(const RunningDigest &other);
    RunningDigest &operator=(const RunningDigest &other);
    RunningDigest(RunningDigest &&other) noexcept;
    RunningDigest &operator=(RunningDigest &&other) noexcept;

    // Adds bytes that are already wire encodings of whole bets (a BATCH body's bets).
    void addEncodedBets(std::string_view bytes);
    // Adds one bet, encoded here.
    void addBet(const protocol::BetView &bet);
    // The digest of everything added so far; adding may go on afterwards.
    protocol::Digest current() const;
    quint64 bets() const { return m_bets; }
    // Counts bets added through addEncodedBets (which cannot count them itself).
    void countBets(quint64 bets) { m_bets += bets; }

    // The hash's midstate, so that another process (a store that keeps it in a database row)
    // can go on adding where this one stopped: SHA-256's eight 32-bit chaining words and the
    // byte count hashed so far (both big-endian), then the bytes of the unfinished 64-byte
    // block (the byte count modulo 64 of them). 40 to 103 bytes.
    std::string saveState() const;
    // The digest `saveState()` described, counting `bets` bets; false (and unchanged) when
    // `state` is not such a state. An empty `state` is the digest of nothing.
    bool restoreState(std::string_view state, quint64 bets);

private:
    struct State;
    std::unique_ptr<State> m_state;
    quint64 m_bets = 0;
};

// One agency's entry in the seal: its number, its sealed bets, their running digest.
struct SealEntry {
    quint32 agency = 0;
    quint64 bets = 0;
    protocol::Digest digest {};
};

// The seal of a close of sales (docs/AUDIT.md): SHA-256 over, for each agency 1..N in order,
// u32 agency || u64 bets || its 32-byte digest (big-endian, back to back).
protocol::Digest sealRoot(const std::vector<SealEntry> &entriesInAgencyOrder);

// SHA-256 of `bytes` in one call.
protocol::Digest sha256Of(std::string_view bytes);

// Lower-case hex, 64 characters, as logs, receipts and docs/AUDIT.md write a digest.
QString digestHex(const protocol::Digest &digest);
// Parses 64 hex digits (either case); false if `text` is anything else.
bool parseDigestHex(QStringView text, protocol::Digest *digest);

} // namespace lottery
