#include "server/lottery_state.h"
#include "server/tsan_annotations.h"

#include <QMutexLocker>

namespace lottery::server {

LotteryState::LotteryState(quint32 expectedAgencies) : m_expectedAgencies(expectedAgencies) { }

void LotteryState::restore(const QHash<quint32, AgencyProgress> &agencies)
{
    QMutexLocker locker(&m_mutex);
    m_agencies = agencies;
}

AgencyProgress LotteryState::progress(quint32 agency) const
{
    QMutexLocker locker(&m_mutex);
    return m_agencies.value(agency);
}

LotteryState::ClaimResult LotteryState::claimAgency(quint32 agency, QDeadlineTimer deadline)
{
    QMutexLocker locker(&m_mutex);
    while (m_claimed.contains(agency) && !m_stopping) {
        if (deadline.hasExpired())
            return ClaimResult::TimedOut;
        tsan::WaitAnnotation annotation(&m_mutex);
        m_released.wait(&m_mutex, deadline);
    }
    if (m_stopping)
        return ClaimResult::Stopped;
    m_claimed.insert(agency);
    return ClaimResult::Claimed;
}

void LotteryState::releaseAgency(quint32 agency, quint64 storedSequence, quint64 storedBets)
{
    QMutexLocker locker(&m_mutex);
    if (storedSequence != 0) {
        AgencyProgress &progress = m_agencies[agency];
        progress.lastSequence = storedSequence;
        progress.storedBets += storedBets;
    }
    m_claimed.remove(agency);
    m_released.wakeAll();
}

void LotteryState::markDone(quint32 agency)
{
    QMutexLocker locker(&m_mutex);
    m_agencies[agency].done = true;
    m_claimed.remove(agency);
    m_released.wakeAll();
}

bool LotteryState::allDoneLocked() const
{
    for (quint32 agency = 1; agency <= m_expectedAgencies; ++agency) {
        const auto it = m_agencies.constFind(agency);
        if (it == m_agencies.constEnd() || !it->done)
            return false;
    }
    return true;
}

bool LotteryState::allDone() const
{
    QMutexLocker locker(&m_mutex);
    return allDoneLocked();
}

bool LotteryState::tryStartDraw()
{
    QMutexLocker locker(&m_mutex);
    if (m_drawStarted || !allDoneLocked())
        return false;
    m_drawStarted = true;
    return true;
}

void LotteryState::setDrawResult(WinnersByAgency winners)
{
    QMutexLocker locker(&m_mutex);
    m_winners = std::move(winners);
    m_drawCompleted = true;
}

std::optional<std::vector<std::string>> LotteryState::winners(quint32 agency) const
{
    QMutexLocker locker(&m_mutex);
    if (!m_drawCompleted)
        return std::nullopt;
    return m_winners.value(agency);
}

bool LotteryState::drawCompleted() const
{
    QMutexLocker locker(&m_mutex);
    return m_drawCompleted;
}

void LotteryState::requestStop()
{
    QMutexLocker locker(&m_mutex);
    m_stopping = true;
    m_released.wakeAll();
}

} // namespace lottery::server
