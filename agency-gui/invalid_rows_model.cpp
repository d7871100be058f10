#include "invalid_rows_model.h"

#include "lottery/agency/user_messages.h"

namespace lottery::gui {

void InvalidRowsModel::setRows(const QList<agency::InvalidRow> &rows)
{
    beginResetModel();
    m_rows = rows;
    endResetModel();
}

int InvalidRowsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int InvalidRowsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant InvalidRowsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const agency::InvalidRow &row = m_rows.at(index.row());
    if (role == Qt::DisplayRole) {
        if (index.column() == LineColumn)
            return row.line;
        if (index.column() == ReasonColumn)
            return agency::UserMessages::forInvalidRow(row.reason);
    }
    if (role == Qt::TextAlignmentRole && index.column() == LineColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant InvalidRowsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole || orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case LineColumn: return tr("Line");
    case ReasonColumn: return tr("Reason");
    default: return {};
    }
}

} // namespace lottery::gui
