#include "server/pipeline/agency_request_queue.h"

#include <utility>

namespace lottery::server {

void AgencyRequestQueue::submit(quint32 agency, Start start)
{
    const auto it = m_agencies.find(agency);
    if (it != m_agencies.end()) {
        it->push_back(std::move(start));
        ++m_waiting;
        return;
    }
    m_agencies.insert(agency, {});
    if (!start())
        startNext(agency);
}

void AgencyRequestQueue::finished(quint32 agency)
{
    if (m_agencies.contains(agency))
        startNext(agency);
}

void AgencyRequestQueue::startNext(quint32 agency)
{
    while (true) {
        const auto it = m_agencies.find(agency);
        if (it == m_agencies.end())
            return;
        if (it->empty()) {
            m_agencies.erase(it);
            return;
        }
        Start next = std::move(it->front());
        it->pop_front();
        --m_waiting;
        // `it` may be invalid after this: the request may submit another (it queues behind).
        if (next())
            return;
    }
}

void AgencyRequestQueue::clear()
{
    m_agencies.clear();
    m_waiting = 0;
}

} // namespace lottery::server
