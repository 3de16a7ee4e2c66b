--[[ figures.lua - pandoc (2.17) Lua filter for the report's figures.

The Makefile renders every gnuplot figure twice, as NN-name-plot.svg (HTML) and .pdf
(LaTeX). Chapters always write the .svg name:

    ![Test accuracy per epoch.](01-mnist-accuracy.svg){#fig:accuracy}

  * LaTeX: image sources ending in .svg become .pdf (pdflatex cannot read SVG). LaTeX
    numbers figures itself and pandoc turns the image's id into a \label.
  * HTML: captions become "Figure C.N: caption" (C the chapter, i.e. the numbered level-1
    heading, N the figure within it: the same numbers LaTeX's report class prints), table
    captions likewise "Table C.N: ...".
  * Every figure without an id gets "fig-C.N" (in all formats), so every figure can be
    linked to; an explicit id such as {#fig:accuracy} is still the better habit.
  * References: an empty link to a figure, `[](#fig:accuracy)`, becomes "Figure C.N" (HTML)
    or "Figure~\ref{fig:accuracy}" (LaTeX). A link with text is left as the author wrote it.

In pandoc 2.17 a figure is a paragraph holding only an image whose title starts with
"fig:" (the implicit_figures extension), so that is what is matched here.
]]

local is_latex = FORMAT:match('latex') ~= nil or FORMAT:match('beamer') ~= nil
local is_html = FORMAT:match('html') ~= nil

local number_of = {} -- figure id -> its number, e.g. "2.3"
local chapter = 0
local figures, tables = 0, 0

local function label(n)
  if chapter > 0 then return chapter .. '.' .. n end
  return tostring(n)
end

-- Numbered level-1 headings are chapters; numbering of figures and tables restarts in each.
local function count_chapter(h)
  if h.level == 1 and not h.classes:includes('unnumbered') then
    chapter = chapter + 1
    figures, tables = 0, 0
  end
  return nil
end

local function figure_image(para)
  if #para.content ~= 1 then return nil end
  local img = para.content[1]
  if img.t ~= 'Image' or not img.title:match('^fig:') then return nil end
  return img
end

local function is_local(src)
  return not src:match('^%a[%w+.-]*:') -- no URL scheme such as http: or data:
end

-- Pass 1: rewrite sources and number the figures, in document order.
local function number_figure(para)
  local img = figure_image(para)
  if not img then return nil end
  if is_latex and is_local(img.src) then
    img.src = img.src:gsub('%.svg$', '.pdf')
  end
  figures = figures + 1
  local n = label(figures)
  if img.identifier == '' then img.identifier = 'fig-' .. n end
  number_of[img.identifier] = n
  if is_html then
    local prefix = pandoc.List({pandoc.Str('Figure'), pandoc.Space(), pandoc.Str(n .. ':')})
    if #img.caption > 0 then prefix:insert(pandoc.Space()) end
    img.caption = prefix .. img.caption
  end
  return para
end

-- HTML table captions get the number LaTeX would print; uncaptioned tables stay unnumbered.
local function number_table(tbl)
  if not is_html then return nil end
  local long = tbl.caption.long
  if #long == 0 or (long[1].t ~= 'Plain' and long[1].t ~= 'Para') then return nil end
  tables = tables + 1
  local prefix = pandoc.List({pandoc.Str('Table'), pandoc.Space(), pandoc.Str(label(tables) .. ':'),
                              pandoc.Space()})
  long[1].content = prefix .. long[1].content
  return tbl
end

-- Pass 2: fill in empty links to figures.
local function refer(link)
  if #link.content > 0 then return nil end
  local id = link.target:match('^#(fig[:-].*)$')
  if not id then return nil end
  if is_latex then
    return pandoc.RawInline('latex', 'Figure~\\ref{' .. id .. '}')
  end
  local n = number_of[id]
  if n then
    link.content = {pandoc.Str('Figure'), pandoc.Space(), pandoc.Str(n)}
  else
    -- Say so in the output rather than leave an invisible link.
    io.stderr:write('figures.lua: no figure with id ' .. id .. '\n')
    link.content = {pandoc.Str('Figure ??')}
  end
  return link
end

return {
  {Header = count_chapter, Para = number_figure, Table = number_table},
  {Link = refer},
}
