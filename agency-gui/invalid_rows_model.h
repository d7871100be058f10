// The invalid rows of the bet file, as the preview found them: line number and reason.
#pragma once

#include "lottery/agency/bet_file_reader.h"

#include <QAbstractTableModel>
#include <QList>

namespace lottery::gui {

class InvalidRowsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { LineColumn, ReasonColumn, ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;

    void setRows(const QList<agency::InvalidRow> &rows);
    void clear() { setRows({}); }
    const QList<agency::InvalidRow> &rows() const { return m_rows; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<agency::InvalidRow> m_rows;
};

} // namespace lottery::gui
