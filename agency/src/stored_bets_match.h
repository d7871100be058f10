// Resuming when the file no longer begins with the stored bets (protocol version 2,
// docs/PROTOCOL.md section 7, "Resuming by content"): rows that were invalid, skipped and never
// sent, were corrected in place, so they now sit between rows the server stores. The server
// lists its stored bets (LIST_STORED); this finds each of them among the file's valid rows, as a
// multiset (order does not matter: after corrected rows are sent, the stored order is no longer
// the file's), proves the list with WELCOME's digest, and tells which rows are still to send.
//
// Three passes, in order: every valid row of the file (addFileRow, then finishFile), every
// stored bet in storage order (addStoredBet), then the file again (isStored, once per valid row,
// in the same order as the first pass). Memory: 32 bytes per valid row of the file; no bet is
// kept, only a 128-bit fingerprint (the first 16 bytes of the SHA-256 of its wire encoding).
#pragma once

#include "common/bet_digest.h"
#include "lottery/agency/upload_error.h"
#include "lottery/protocol/messages.h"

#include <QList>

#include <array>
#include <cstdint>
#include <string>
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
    quint64 unmatchedRows() const { return m_entries.size() - m_matched; }
    // The third pass: true when this row is one of the stored bets (skip it), false when it is
    // to be sent. Each stored bet claims one row.
    bool isStored(const protocol::BetView &bet);

private:
    using Fingerprint = std::array<std::uint8_t, 16>;
    struct Entry {
        Fingerprint fingerprint {};
        qint64 line = 0;
        bool matched = false;
    };
    Fingerprint fingerprintOf(const protocol::BetView &bet);
    // The first entry with this fingerprint, or end.
    std::vector<Entry>::iterator find(const Fingerprint &fingerprint);

    std::vector<Entry> m_entries; // sorted by fingerprint after finishFile()
    std::string m_scratch;
    RunningDigest m_digest;
    quint64 m_matched = 0;
    quint64 m_missingCount = 0;
    QList<MissingStoredBet> m_missing;
    qint64 m_lastMatchedLine = 0; // the line matched by the latest stored bet found
};

} // namespace lottery::agency
