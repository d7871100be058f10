#include "server/admin/server_metrics.h"

#include "common/log_rate_limiter.h"

#include <QDateTime>

namespace lottery::server {

namespace {

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace

QString ServerMetrics::toString(BatchResult result)
{
    switch (result) {
    case BatchResult::Stored: return QStringLiteral("stored");
    case BatchResult::Duplicate: return QStringLiteral("duplicate");
    case BatchResult::Rejected: return QStringLiteral("rejected");
    case BatchResult::Malformed: return QStringLiteral("malformed");
    case BatchResult::Stopped: return QStringLiteral("stopped");
    }
    return QStringLiteral("unknown");
}

QString ServerMetrics::toString(DrawState state)
{
    switch (state) {
    case DrawState::Waiting: return QStringLiteral("waiting");
    case DrawState::Running: return QStringLiteral("running");
    case DrawState::Completed: return QStringLiteral("completed");
    case DrawState::Failed: return QStringLiteral("failed");
    }
    return QStringLiteral("unknown");
}

ServerMetrics::ServerMetrics() : m_startedAtMs(nowMs())
{
    m_rateSecond.fill(-1);
}

void ServerMetrics::restoreAgency(quint32 agency, quint64 bets, quint64 batches, bool done)
{
    QMutexLocker locker(&m_mutex);
    Agency &entry = m_agencies[agency];
    entry.betsStored = bets;
    entry.batchesStored = batches;
    entry.done = done;
    m_betsStored += bets;
}

void ServerMetrics::recordBatches(
    quint32 agency, const std::vector<BatchOutcome> &outcomes, qint64 taskNs, const QString &peer)
{
    const qint64 now = nowMs();
    QMutexLocker locker(&m_mutex);
    Agency &entry = m_agencies[agency];
    quint64 storedBets = 0;
    bool stored = false;
    for (const BatchOutcome &outcome : outcomes) {
        switch (outcome.kind) {
        case BatchOutcome::Kind::Acked:
            if (outcome.ack.duplicate) {
                ++m_batches[static_cast<int>(BatchResult::Duplicate)];
                ++entry.duplicates;
            } else {
                ++m_batches[static_cast<int>(BatchResult::Stored)];
                ++entry.batchesStored;
                storedBets += outcome.betCount;
                stored = true;
            }
            break;
        case BatchOutcome::Kind::Rejected: {
            ++m_batches[static_cast<int>(BatchResult::Rejected)];
            ++entry.rejected;
            const QString code = QString::fromLatin1(protocol::toString(outcome.reject.code));
            ++m_rejectionsByCode[code];
            addError(agency, code, QStringLiteral("reject"), peer, now);
            if (outcome.reject.code == protocol::ErrorCode::StorageFailure
                && m_storageFailure.isEmpty())
                m_storageFailure = outcome.error;
            break;
        }
        case BatchOutcome::Kind::Malformed:
            // The session answers with ERROR and closes: counted there by recordError().
            ++m_batches[static_cast<int>(BatchResult::Malformed)];
            break;
        case BatchOutcome::Kind::Stopped:
            ++m_batches[static_cast<int>(BatchResult::Stopped)];
            break;
        }
    }
    entry.betsStored += storedBets;
    m_betsStored += storedBets;
    if (stored) {
        entry.lastBatchMs = now;
        addRate(storedBets, now);
    }
    const double seconds = static_cast<double>(taskNs) / 1e9;
    std::size_t bucket = 0;
    while (bucket < kCommitBuckets.size() && seconds > kCommitBuckets[bucket])
        ++bucket;
    if (bucket < kCommitBuckets.size())
        ++m_commit.buckets[bucket];
    ++m_commit.count;
    m_commit.sum += seconds;
}

void ServerMetrics::recordDone(quint32 agency, const QString &error)
{
    QMutexLocker locker(&m_mutex);
    if (error.isEmpty()) {
        m_agencies[agency].done = true;
        return;
    }
    if (m_storageFailure.isEmpty())
        m_storageFailure = error;
}

void ServerMetrics::recordError(
    quint32 agency, protocol::ErrorCode code, const QString &peer, quint32 claimedAgency)
{
    const QString name = QString::fromLatin1(protocol::toString(code));
    QMutexLocker locker(&m_mutex);
    ++m_errorsByCode[name];
    // Routine closes (a shutdown, a reconnect replacing a session) are counted, not listed.
    if (code != protocol::ErrorCode::ShuttingDown && code != protocol::ErrorCode::Superseded)
        addError(agency, name, QStringLiteral("error"), peer, nowMs(), claimedAgency);
}

void ServerMetrics::recordDrawStarted()
{
    QMutexLocker locker(&m_mutex);
    m_draw = DrawState::Running;
}

void ServerMetrics::recordDrawFinished(const DrawResult &result, qint64 elapsedMs)
{
    QMutexLocker locker(&m_mutex);
    m_drawFinishedAtMs = nowMs();
    if (!result.error.isEmpty()) {
        m_draw = DrawState::Failed;
        return;
    }
    if (!result.completed) {
        m_draw = DrawState::Waiting; // not every agency is done yet
        return;
    }
    m_draw = DrawState::Completed;
    m_drawWinners = result.winnerCount;
    m_drawBets = result.bets;
    m_drawMs = elapsedMs;
    for (auto it = m_agencies.begin(); it != m_agencies.end(); ++it)
        it->winners = 0;
    for (auto it = result.winners.cbegin(); it != result.winners.cend(); ++it)
        m_agencies[it.key()].winners = static_cast<qint64>(it.value().size());
}

void ServerMetrics::recordLimit(PeerLimit limit)
{
    QMutexLocker locker(&m_mutex);
    ++m_peerLimits[static_cast<std::size_t>(limit)];
}

ServerMetrics::Snapshot ServerMetrics::snapshot() const
{
    Snapshot snapshot;
    snapshot.takenAtMs = nowMs();
    QMutexLocker locker(&m_mutex);
    snapshot.startedAtMs = m_startedAtMs;
    snapshot.agencies = m_agencies;
    snapshot.batches = m_batches;
    snapshot.betsStored = m_betsStored;
    snapshot.rejectionsByCode = m_rejectionsByCode;
    snapshot.errorsByCode = m_errorsByCode;
    snapshot.commit = m_commit;
    snapshot.recentErrors.assign(m_recentErrors.cbegin(), m_recentErrors.cend());
    snapshot.draw = m_draw;
    snapshot.drawWinners = m_drawWinners;
    snapshot.drawBets = m_drawBets;
    snapshot.drawMs = m_drawMs;
    snapshot.drawFinishedAtMs = m_drawFinishedAtMs;
    snapshot.storageFailure = m_storageFailure;
    snapshot.peerLimits = m_peerLimits;
    const qint64 current = snapshot.takenAtMs / 1000;
    snapshot.betsPerSecond.resize(kRateHistorySeconds);
    for (int i = 0; i < kRateHistorySeconds; ++i) {
        const qint64 second = current - (kRateHistorySeconds - 1) + i;
        const std::size_t slot = static_cast<std::size_t>(second % m_rateSecond.size());
        snapshot.betsPerSecond[static_cast<std::size_t>(i)]
            = m_rateSecond[slot] == second ? m_rateBets[slot] : 0;
    }
    locker.unlock();
    for (const auto &[action, suppressed] : LogRateLimiter::suppressedTotals())
        snapshot.logLinesSuppressed[action] += suppressed;
    return snapshot;
}

void ServerMetrics::addError(quint32 agency, const QString &code, const QString &source,
    const QString &peer, qint64 now, quint32 claimedAgency)
{
    m_recentErrors.push_back(
        RecentError {now, agency, code, source, peer, agency == 0 ? claimedAgency : 0});
    while (m_recentErrors.size() > static_cast<std::size_t>(kRecentErrors))
        m_recentErrors.pop_front();
}

void ServerMetrics::addRate(quint64 bets, qint64 now)
{
    const qint64 second = now / 1000;
    const std::size_t slot = static_cast<std::size_t>(second % m_rateSecond.size());
    if (m_rateSecond[slot] != second) {
        m_rateSecond[slot] = second;
        m_rateBets[slot] = 0;
    }
    m_rateBets[slot] += bets;
}

} // namespace lottery::server
