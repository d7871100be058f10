#include "stored_bets_match.h"

#include "lottery/protocol/codec.h"

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
    std::memcpy(&fingerprint.first, digest.data(), sizeof fingerprint.first);
    std::memcpy(
        &fingerprint.second, digest.data() + sizeof fingerprint.first, sizeof fingerprint.second);
    return fingerprint;
}

void StoredBetsMatch::addFileRow(const protocol::BetView &bet, qint64 line)
{
    m_rows.push_back(fingerprintOf(bet));
    m_lines.push_back(line);
}

void StoredBetsMatch::finishFile()
{
    m_stored.assign(m_rows.size(), false);
    std::size_t size = 16;
    while (size < 2 * m_rows.size())
        size *= 2;
    m_table.assign(size, 0);
    const std::size_t mask = size - 1;
    for (std::size_t row = 0; row < m_rows.size(); ++row) {
        std::size_t slot = static_cast<std::size_t>(m_rows[row].first) & mask;
        while (m_table[slot] != 0)
            slot = (slot + 1) & mask;
        m_table[slot] = static_cast<std::uint32_t>(row + 1);
    }
}

void StoredBetsMatch::addStoredBet(const protocol::Bet &bet, quint64 index)
{
    m_scratch.clear();
    protocol::detail::appendBet(m_scratch, bet);
    m_digest.addEncodedBets(m_scratch);
    m_digest.countBets(1);
    const Fingerprint fingerprint = fingerprintOf(bet);
    const std::size_t mask = m_table.size() - 1;
    for (std::size_t slot = static_cast<std::size_t>(fingerprint.first) & mask; m_table[slot] != 0;
         slot = (slot + 1) & mask) {
        const std::size_t row = m_table[slot] - 1;
        if (m_rows[row] == fingerprint && !m_stored[row]) {
            m_stored[row] = true;
            ++m_matched;
            m_lastMatchedLine = m_lines[row];
            return;
        }
    }
    ++m_missingCount;
    if (m_missing.size() < kMaxMissingDescribed) {
        m_missing.append(MissingStoredBet {index, fromStd(bet.firstName), fromStd(bet.lastName),
            fromStd(bet.document), fromStd(bet.birthdate), bet.number, m_lastMatchedLine});
    }
}

StoredBetsMatch::Row StoredBetsMatch::nextRow(const protocol::BetView &bet)
{
    if (m_next >= m_rows.size() || fingerprintOf(bet) != m_rows[m_next])
        return Row::Changed;
    return m_stored[m_next++] ? Row::Stored : Row::ToSend;
}

} // namespace lottery::agency
