#include "server/agency_registry.h"

#include "server/net/session.h"

namespace lottery::server {

AgencyRegistry::~AgencyRegistry()
{
    qDeleteAll(m_sessions);
    m_sessions.clear();
    deleteRetired();
}

void AgencyRegistry::add(Session *session)
{
    m_sessions.insert(session->id(), session);
}

Session *AgencyRegistry::takeOver(Session &session, quint32 agency)
{
    Session *previous = nullptr;
    if (const auto it = m_liveByAgency.constFind(agency); it != m_liveByAgency.constEnd()) {
        Session *old = find(*it);
        if (old && old != &session && !old->isClosing())
            previous = old;
    }
    m_liveByAgency.insert(agency, session.id());
    return previous;
}

Session *AgencyRegistry::liveSession(quint32 agency) const
{
    const auto it = m_liveByAgency.constFind(agency);
    return it == m_liveByAgency.constEnd() ? nullptr : find(*it);
}

bool AgencyRegistry::retire(Session &session)
{
    const quint64 id = session.id();
    m_closeWhenAnswered.remove(id);
    if (session.hasAgency() && m_liveByAgency.value(session.agency()) == id)
        m_liveByAgency.remove(session.agency());
    if (m_sessions.remove(id) == 0)
        return false;
    // Deleted from the event loop, as deleteLater() would: the session may be inside one of its
    // own handlers now. One queued call for all the sessions retired until it runs. (No
    // QObject parent: a parent keeps its children in a list that each child's destruction
    // searches and shifts, so closing ten thousand sessions cost their square.)
    if (m_retired.empty())
        QMetaObject::invokeMethod(this, &AgencyRegistry::deleteRetired, Qt::QueuedConnection);
    m_retired.push_back(&session);
    return true;
}

QList<Session *> AgencyRegistry::dropAll()
{
    const QList<Session *> all = m_sessions.values();
    for (Session *session : all)
        retire(*session);
    m_liveByAgency.clear();
    m_closeWhenAnswered.clear();
    return all;
}

void AgencyRegistry::setDisabled(quint32 agency, bool disabled)
{
    if (disabled)
        m_disabled.insert(agency);
    else
        m_disabled.remove(agency);
}

void AgencyRegistry::deleteRetired()
{
    std::vector<Session *> retired;
    retired.swap(m_retired);
    qDeleteAll(retired);
}

} // namespace lottery::server
