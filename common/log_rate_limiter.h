// Log lines a peer can trigger at will (a REJECT per invalid batch, a failed token check per
// connection) must not let that peer fill the disk or the log pipe: each kind goes through one
// LogRateLimiter. A token bucket (a burst, then so many lines per second) decides; what it
// suppresses is counted and reported in one line when lines flow again or at flush():
//
//   action: log_rate_limited | result: success | for: apuesta_recibida | suppressed: 1234 |
//   burst: 100 | per_second: 20
//
// Thread-safe (one mutex per limiter). Every limiter of the process is listed for the metrics
// (lottery_log_lines_suppressed_total).
#pragma once

#include "common/log.h"

#include <QMutex>
#include <QString>

#include <utility>
#include <vector>

namespace lottery {

class LogRateLimiter
{
public:
    // `action`: the action of the lines it limits (also their level, for its own report).
    LogRateLimiter(QString action, LogLevel level, int burst, int perSecond);
    ~LogRateLimiter();
    LogRateLimiter(const LogRateLimiter &) = delete;
    LogRateLimiter &operator=(const LogRateLimiter &) = delete;

    // True: write the line now (a pending report of suppressed lines is written first). False:
    // the line is counted as suppressed.
    bool allow();
    // Writes the report of the lines suppressed since the last one, if any: a flood that stops
    // is reported too (the server calls it once a second).
    void flush();

    const QString &action() const { return m_action; }
    quint64 suppressedTotal() const;

    // Every limiter alive in the process: (action, lines suppressed since start).
    static std::vector<std::pair<QString, quint64>> suppressedTotals();
    // flush() on every limiter alive.
    static void flushAll();

private:
    void refill(qint64 nowMs);
    void report(quint64 suppressed);

    const QString m_action;
    const LogLevel m_level;
    const int m_burst;
    const int m_perSecond;
    mutable QMutex m_mutex;
    double m_tokens;
    qint64 m_refilledAtMs = 0;
    quint64 m_pending = 0; // suppressed since the last report
    quint64 m_total = 0; // suppressed since start
};

} // namespace lottery
