#include "server/net/upload_admission.h"

namespace lottery::server {

bool UploadAdmission::fits(qint64 bytes) const
{
    return inUse() < m_capacity && (m_holders.isEmpty() || m_reserved + bytes <= m_budget);
}

void UploadAdmission::take(Client &client, qint64 bytes)
{
    m_holders.insert(&client, bytes);
    m_reserved += bytes;
}

bool UploadAdmission::request(Client &client, qint64 bytes)
{
    if (holds(client))
        return true;
    if (isWaiting(client))
        return false;
    if (!contended() && fits(bytes)) {
        take(client, bytes);
        return true;
    }
    const quint64 ticket = m_nextTicket++;
    m_queue.emplace_back(&client, ticket);
    m_queued.insert(&client, ticket);
    return false;
}

bool UploadAdmission::resize(Client &client, qint64 bytes)
{
    const auto held = m_holders.find(&client);
    if (held == m_holders.end())
        return false;
    const qint64 from = *held;
    if (bytes > from && (contended() || m_reserved - from + bytes > m_budget))
        return false;
    m_reserved += bytes - from;
    *held = bytes;
    if (bytes < from)
        grantWaiting();
    return true;
}

void UploadAdmission::release(Client &client)
{
    if (const auto held = m_holders.find(&client); held != m_holders.end()) {
        m_reserved -= *held;
        m_holders.erase(held);
        grantWaiting();
        return;
    }
    m_queued.remove(&client); // its queue entry is skipped when reached
}

void UploadAdmission::grantWaiting()
{
    if (m_granting)
        return; // the loop below goes on with what the nested call changed
    m_granting = true;
    while (!m_queue.empty()) {
        const auto [client, ticket] = m_queue.front();
        const auto queued = m_queued.constFind(client);
        if (queued == m_queued.constEnd() || *queued != ticket) {
            m_queue.pop_front(); // left the queue (closed) before its turn
            continue;
        }
        const qint64 bytes = client->admissionBytesWanted();
        if (!fits(bytes))
            break;
        m_queue.pop_front();
        m_queued.remove(client);
        take(*client, bytes);
        client->admitted(bytes);
    }
    m_granting = false;
}

} // namespace lottery::server
