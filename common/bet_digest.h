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
#include <string_view>

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

private:
    struct State;
    std::unique_ptr<State> m_state;
    quint64 m_bets = 0;
};

// SHA-256 of `bytes` in one call.
protocol::Digest sha256Of(std::string_view bytes);

// Lower-case hex, 64 characters, as logs, receipts and docs/AUDIT.md write a digest.
QString digestHex(const protocol::Digest &digest);
// Parses 64 hex digits (either case); false if `text` is anything else.
bool parseDigestHex(QStringView text, protocol::Digest *digest);

} // namespace lottery
