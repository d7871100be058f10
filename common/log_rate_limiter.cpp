#include "common/log_rate_limiter.h"

#include <QDeadlineTimer>
#include <QMutexLocker>

#include <algorithm>

namespace lottery {

namespace {

struct Registry {
    QMutex mutex;
    std::vector<LogRateLimiter *> limiters;
};

Registry &registry()
{
    static Registry instance;
    return instance;
}

qint64 nowMs()
{
    return QDeadlineTimer::current().deadline();
}

} // namespace

LogRateLimiter::LogRateLimiter(QString action, LogLevel level, int burst, int perSecond)
    : m_action(std::move(action)), m_level(level), m_burst(qMax(1, burst)),
      m_perSecond(qMax(1, perSecond)), m_tokens(m_burst), m_refilledAtMs(nowMs())
{
    Registry &all = registry();
    QMutexLocker lock(&all.mutex);
    all.limiters.push_back(this);
}

LogRateLimiter::~LogRateLimiter()
{
    Registry &all = registry();
    QMutexLocker lock(&all.mutex);
    all.limiters.erase(
        std::remove(all.limiters.begin(), all.limiters.end(), this), all.limiters.end());
}

void LogRateLimiter::refill(qint64 nowMs)
{
    const qint64 elapsed = nowMs - m_refilledAtMs;
    if (elapsed <= 0)
        return;
    m_tokens = qMin<double>(m_burst, m_tokens + static_cast<double>(elapsed) * m_perSecond / 1000);
    m_refilledAtMs = nowMs;
}

bool LogRateLimiter::allow()
{
    quint64 suppressed = 0;
    {
        QMutexLocker lock(&m_mutex);
        refill(nowMs());
        if (m_tokens < 1) {
            ++m_pending;
            ++m_total;
            return false;
        }
        m_tokens -= 1;
        suppressed = std::exchange(m_pending, 0);
    }
    if (suppressed > 0)
        report(suppressed);
    return true;
}

void LogRateLimiter::flush()
{
    quint64 suppressed = 0;
    {
        QMutexLocker lock(&m_mutex);
        suppressed = std::exchange(m_pending, 0);
    }
    if (suppressed > 0)
        report(suppressed);
}

void LogRateLimiter::report(quint64 suppressed)
{
    LogLine(m_level, u"log_rate_limited", LogResult::Success)
        .field(u"for", m_action)
        .field(u"suppressed", static_cast<unsigned long long>(suppressed))
        .field(u"burst", m_burst)
        .field(u"per_second", m_perSecond);
}

quint64 LogRateLimiter::suppressedTotal() const
{
    QMutexLocker lock(&m_mutex);
    return m_total;
}

std::vector<std::pair<QString, quint64>> LogRateLimiter::suppressedTotals()
{
    Registry &all = registry();
    QMutexLocker lock(&all.mutex);
    std::vector<std::pair<QString, quint64>> totals;
    for (const LogRateLimiter *limiter : all.limiters)
        totals.emplace_back(limiter->action(), limiter->suppressedTotal());
    return totals;
}

void LogRateLimiter::flushAll()
{
    Registry &all = registry();
    QMutexLocker lock(&all.mutex);
    for (LogRateLimiter *limiter : all.limiters)
        limiter->flush();
}

} // namespace lottery
