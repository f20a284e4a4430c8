"""Files in and out: input readers, real HR workbooks (layout, inspect), the Excel template,
the results and payroll workbooks."""
