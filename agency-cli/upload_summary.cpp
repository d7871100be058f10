#include "upload_summary.h"

#include "common/log.h"
#include "common/process_stats.h"
#include "lottery/agency/agency_session.h"

#include <algorithm>
#include <cmath>

namespace lottery::agency {

int LatencyHistogram::bucketOf(qint64 micros)
{
    if (micros < 1)
        return 0;
    const int bucket = static_cast<int>(std::log2(static_cast<double>(micros)) * kSubBuckets) + 1;
    return std::min(bucket, kBuckets - 1);
}

double LatencyHistogram::lowerBoundOf(int bucket)
{
    return bucket == 0 ? 0.0 : std::exp2(static_cast<double>(bucket - 1) / kSubBuckets);
}

void LatencyHistogram::add(qint64 micros)
{
    ++m_buckets[static_cast<std::size_t>(bucketOf(micros))];
    ++m_count;
    m_max = std::max(m_max, micros);
}

double LatencyHistogram::percentileMicros(double fraction) const
{
    if (m_count == 0)
        return 0.0;
    const auto rank = static_cast<qint64>(std::ceil(fraction * static_cast<double>(m_count)));
    qint64 seen = 0;
    for (int bucket = 0; bucket < kBuckets; ++bucket) {
        seen += m_buckets[static_cast<std::size_t>(bucket)];
        if (seen >= std::max<qint64>(rank, 1)) // report the bucket's upper bound, capped by max
            return std::min(lowerBoundOf(bucket + 1), static_cast<double>(m_max));
    }
    return static_cast<double>(m_max);
}

UploadSummary::UploadSummary(AgencySession *session, QObject *parent)
    : QObject(parent), m_session(session)
{
    m_clock.start();
    connect(session, &AgencySession::batchSent, this, [this](quint64 sequence, int) {
        // After a reconnect the same sequences go out again: forget the earlier sends.
        while (!m_sent.empty() && m_sent.back().first >= sequence)
            m_sent.pop_back();
        m_sent.emplace_back(sequence, m_clock.nsecsElapsed());
    });
    connect(session, &AgencySession::batchAcknowledged, this,
        [this](quint64 sequence, int, qint64, bool) {
            while (!m_sent.empty() && m_sent.front().first < sequence)
                m_sent.pop_front();
            if (m_sent.empty() || m_sent.front().first != sequence)
                return;
            m_latency.add((m_clock.nsecsElapsed() - m_sent.front().second) / 1000);
            m_sent.pop_front();
        });
}

void UploadSummary::logSummary() const
{
    auto millis = [](double micros) { return std::round(micros / 10.0) / 100.0; };
    LOTTERY_LOG_SUCCESS("resumen")
        .field(u"lotes", static_cast<long long>(m_session->batchesAcknowledged()))
        .field(u"apuestas", static_cast<long long>(m_session->betsAcknowledged()))
        .field(u"ack_p50_ms", millis(m_latency.percentileMicros(0.50)))
        .field(u"ack_p99_ms", millis(m_latency.percentileMicros(0.99)))
        .field(u"ack_max_ms", millis(static_cast<double>(m_latency.maxMicros())))
        .field(u"segundos", static_cast<double>(m_clock.elapsed()) / 1000.0)
        .field(u"vmhwm_kib", peakResidentKib());
}

} // namespace lottery::agency
