#include "stored_bets_match.h"

#include "lottery/protocol/codec.h"

#include <algorithm>
#include <cstring>

namespace lottery::agency {

namespace {

QString fromStd(const std::string &text)
{
    return QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size()));
}

} // namespace

StoredBetsMatch::Fingerprint StoredBetsMatch::fingerprintOf(const protocol::BetView &bet)
{
    m_scratch.clear();
    protocol::detail::appendBet(m_scratch, bet);
    const protocol::Digest digest = sha256Of(m_scratch);
    Fingerprint fingerprint {};
    std::memcpy(fingerprint.data(), digest.data(), fingerprint.size());
    return fingerprint;
}

void StoredBetsMatch::addFileRow(const protocol::BetView &bet, qint64 line)
{
    m_entries.push_back(Entry {fingerprintOf(bet), line, false});
}

void StoredBetsMatch::finishFile()
{
    // Equal fingerprints keep file order, so a bet held twice matches its rows top to bottom.
    std::stable_sort(m_entries.begin(), m_entries.end(),
        [](const Entry &a, const Entry &b) { return a.fingerprint < b.fingerprint; });
}

std::vector<StoredBetsMatch::Entry>::iterator StoredBetsMatch::find(const Fingerprint &fingerprint)
{
    return std::lower_bound(m_entries.begin(), m_entries.end(), fingerprint,
        [](const Entry &entry, const Fingerprint &value) { return entry.fingerprint < value; });
}

void StoredBetsMatch::addStoredBet(const protocol::Bet &bet, quint64 index)
{
    m_scratch.clear();
    protocol::detail::appendBet(m_scratch, bet);
    m_digest.addEncodedBets(m_scratch);
    m_digest.countBets(1);
    const Fingerprint fingerprint = fingerprintOf(bet);
    for (auto it = find(fingerprint); it != m_entries.end() && it->fingerprint == fingerprint;
         ++it) {
        if (!it->matched) {
            it->matched = true;
            ++m_matched;
            m_lastMatchedLine = it->line;
            return;
        }
    }
    ++m_missingCount;
    if (m_missing.size() < kMaxMissingDescribed) {
        m_missing.append(MissingStoredBet {index, fromStd(bet.firstName), fromStd(bet.lastName),
            fromStd(bet.document), fromStd(bet.birthdate), bet.number, m_lastMatchedLine});
    }
}

bool StoredBetsMatch::isStored(const protocol::BetView &bet)
{
    const Fingerprint fingerprint = fingerprintOf(bet);
    for (auto it = find(fingerprint); it != m_entries.end() && it->fingerprint == fingerprint;
         ++it) {
        if (it->matched) {
            it->matched = false; // claimed by this row
            return true;
        }
    }
    return false;
}

} // namespace lottery::agency
