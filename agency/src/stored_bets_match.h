// Resuming when the file no longer begins with the stored bets (protocol version 2,
// docs/PROTOCOL.md section 7, "Resuming by content"): rows that were invalid, skipped and never
// sent, were corrected in place, so they now sit between rows the server stores. The server
// lists its stored bets (LIST_STORED); this finds each of them among the file's valid rows, as a
// multiset (order does not matter: after corrected rows are sent, the stored order is no longer
// the file's), keeps the running digest of the list (checked against WELCOME's), and says which
// rows are still to send.
//
// Three passes, in order: every valid row of the file (addFileRow, then finishFile), every
// stored bet in storage order (addStoredBet), then the file again (isStored, once per valid row,
// in the same order as the first pass). No bet is kept, only a 128-bit fingerprint per row (the
// first 16 bytes of the SHA-256 of its wire encoding) in file order, its line, and a hash table
// over them: about 40 bytes per valid row, one table probe per stored bet.
#pragma once

#include "common/bet_digest.h"
#include "lottery/agency/upload_error.h"
#include "lottery/protocol/messages.h"

#include <QList>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lottery::agency {

class StoredBetsMatch
{
public:
    // Stored bets missing from the file that are described one by one (the rest are counted).
    static constexpr int kMaxMissingDescribed = 10;

    void addFileRow(const protocol::BetView &bet, qint64 line);
    void finishFile();
    // The next stored bet (index: its place in storage order, 0-based).
    void addStoredBet(const protocol::Bet &bet, quint64 index);
    // After the listing: the running digest of the listed bets (WELCOME's, if the server listed
    // what it stores), the stored bets the file lacks.
    const RunningDigest &digest() const { return m_digest; }
    quint64 missingCount() const { return m_missingCount; }
    const QList<MissingStoredBet> &missing() const { return m_missing; }
    // The file's valid rows no stored bet matched (what is still to send).
    quint64 unmatchedRows() const { return m_rows.size() - m_matched; }

    enum class Row { Stored, ToSend, Changed };
    // The third pass, valid row by valid row: one of the stored bets (skip it), to be sent, or
    // not the row the first pass read there (the file changed meanwhile).
    Row nextRow(const protocol::BetView &bet);
    // The third pass met every row of the first (the file did not lose rows meanwhile).
    bool passedEveryRow() const { return m_next == m_rows.size(); }

private:
    // Two integers, not 16 bytes: compared and hashed often.
    using Fingerprint = std::pair<std::uint64_t, std::uint64_t>;
    Fingerprint fingerprintOf(const protocol::BetView &bet);

    std::vector<Fingerprint> m_rows; // the valid rows' fingerprints, in file order
    std::vector<qint64> m_lines; // their lines
    std::vector<bool> m_stored; // claimed by a stored bet
    // Open addressing over m_rows (index + 1; 0: empty), probed from the fingerprint's first
    // half; rows with equal fingerprints lie in file order along the probe.
    std::vector<std::uint32_t> m_table;
    std::string m_scratch;
    RunningDigest m_digest;
    quint64 m_matched = 0;
    quint64 m_missingCount = 0;
    QList<MissingStoredBet> m_missing;
    qint64 m_lastMatchedLine = 0; // the line matched by the latest stored bet found
    std::size_t m_next = 0; // the third pass's position in m_rows
};

} // namespace lottery::agency
