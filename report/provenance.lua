--[[ provenance.lua - pandoc (2.17) Lua filter: where every generated number comes from.

The filler (tools/fill --provenance) writes each value as a span and each generated table as
a div, both with class nnq / nnq-table and attributes data-sql, data-runs, data-seeds and
data-commit (src/render/provenance.h). Figures are the images NN-name-SCRIPT.svg drawn by
chapters/NN-name/SCRIPT.gp.

  * HTML: the attributes stay on the elements; report/reader.html shows them on hover or
    focus. Each figure gets a "query and script" link in its caption to a collapsed block,
    right after it, holding the gnuplot script (whose SQL is the figure's query).
  * LaTeX: every value becomes a link to its numbered entry in an appendix, "Queries behind
    the numbers", which lists per chapter each query with its runs, seeds and commit, and
    each figure's script; a table gets a "query N" line, a figure caption a link.
    The value itself stays plain text: only the link colour marks it.
]]

local is_latex = FORMAT:match('latex') ~= nil
local is_html = FORMAT:match('html') ~= nil

local entries = {} -- {chapter, kind, number, sql, runs, seeds, commit, script, path}
local chapter_title = 'Front matter'
local count = 0

local function add_entry(kind, attr, extra)
  count = count + 1
  -- pandoc keeps the data- prefix in some versions' AST and drops it in others.
  local function get(k) return attr.attributes['data-' .. k] or attr.attributes[k] or '' end
  local e = {chapter = chapter_title, kind = kind, number = count,
             sql = get('sql'), runs = get('runs'), seeds = get('seeds'), commit = get('commit')}
  if extra then for k, v in pairs(extra) do e[k] = v end end
  table.insert(entries, e)
  return e
end

local function anchor(n) return 'nnq-' .. n end

local function read_file(path)
  local f = io.open(path, 'r')
  if not f then return nil end
  local text = f:read('a')
  f:close()
  return text
end

-- chapters/NN-name/SCRIPT.gp for an image NN-name-SCRIPT.svg (or .pdf), if it exists.
local function figure_script(src)
  local base = src:match('([^/]+)%.%a+$')
  if not base then return nil end
  for i = 1, #base do
    if base:sub(i, i) == '-' then
      local path = 'chapters/' .. base:sub(1, i - 1) .. '/' .. base:sub(i + 1) .. '.gp'
      local text = read_file(path)
      if text then return path, text end
    end
  end
  return nil
end

local function figure_image(para)
  if #para.content ~= 1 then return nil end
  local img = para.content[1]
  if img.t ~= 'Image' or not img.title:match('^fig:') then return nil end
  return img
end

local function value_span(span)
  if span.classes:includes('nnq-math') then
    -- the provenance of a value inside the formula just before: in the PDF a small
    -- reference to its query (the formula itself cannot hold a link)
    local e = add_entry('value', span.attr)
    if is_latex then
      return pandoc.Superscript({pandoc.Link({pandoc.Str('q' .. e.number)}, '#' .. anchor(e.number))})
    end
    return nil
  end
  if not span.classes:includes('nnq') then return nil end
  local e = add_entry('value', span.attr)
  if is_latex then
    return pandoc.Link(span.content, '#' .. anchor(e.number))
  end
  return nil
end

local function table_div(div)
  if not div.classes:includes('nnq-table') then return nil end
  local e = add_entry('table', div.attr)
  if is_latex then
    div.content:insert(pandoc.Para({pandoc.RawInline('latex', '\\hfill{\\footnotesize '),
      pandoc.Link({pandoc.Str('query ' .. e.number)}, '#' .. anchor(e.number)),
      pandoc.RawInline('latex', '}')}))
  end
  return div
end

local function figure_para(para)
  local img = figure_image(para)
  if not img then return nil end
  local path, script = figure_script(img.src)
  if not path then return nil end
  local e = add_entry('figure', pandoc.Attr(), {script = script, path = path})
  local id = anchor(e.number)
  local link = pandoc.Link({pandoc.Str('query and script')}, '#' .. id)
  img.caption:extend({pandoc.Space(), pandoc.Str('(')})
  img.caption:insert(link)
  img.caption:insert(pandoc.Str(')'))
  if is_html then
    local escaped = script:gsub('&', '&amp;'):gsub('<', '&lt;'):gsub('>', '&gt;')
    local html = '<details class="figure-source" id="' .. id .. '"><summary>Query and gnuplot script: <code>'
      .. path .. '</code></summary><pre><code>' .. escaped .. '</code></pre></details>'
    return {para, pandoc.RawBlock('html', html)}
  end
  return para
end

-- Walk the blocks in order, so entries are numbered in reading order within chapters.
local function walk_blocks(blocks)
  local out = pandoc.List()
  for _, b in ipairs(blocks) do
    if b.t == 'Header' and b.level == 1 then
      chapter_title = pandoc.utils.stringify(b.content)
      out:insert(b)
    else
      local walked = pandoc.walk_block(b, {Span = value_span, Div = table_div})
      if walked.t == 'Para' then
        local r = figure_para(walked)
        if r and r.t == nil then out:extend(r) else out:insert(r or walked) end
      else
        out:insert(walked)
      end
    end
  end
  return out
end

local function latex_appendix()
  local blocks = pandoc.List()
  blocks:insert(pandoc.Header(1, {pandoc.Str('Queries behind the numbers')}, pandoc.Attr('queries', {'unnumbered'})))
  blocks:insert(pandoc.Para({pandoc.Str('Every number and table of the report is the result of one of these'),
    pandoc.Space(), pandoc.Str('queries on the results database; each value in the text links here. The'),
    pandoc.Space(), pandoc.Str('runs are those of the report\'s scope that the query names.')}))
  local current = nil
  for _, e in ipairs(entries) do
    if e.chapter ~= current then
      current = e.chapter
      blocks:insert(pandoc.Header(2, {pandoc.Str(current)}, pandoc.Attr('', {'unnumbered'})))
    end
    local head = pandoc.List({pandoc.RawInline('latex', '\\hypertarget{' .. anchor(e.number) .. '}{}'),
                              pandoc.Strong({pandoc.Str(tostring(e.number) .. '.')}), pandoc.Space()})
    if e.kind == 'figure' then
      head:extend({pandoc.Str('Figure script'), pandoc.Space(), pandoc.Code(e.path)})
      blocks:insert(pandoc.Para(head))
      blocks:insert(pandoc.CodeBlock(e.script))
    else
      head:insert(pandoc.Code(e.sql))
      head:extend({pandoc.LineBreak(), pandoc.Emph({pandoc.Str('runs ' .. e.runs .. '; seeds ' .. e.seeds
        .. '; commit ' .. e.commit)})})
      blocks:insert(pandoc.Div({pandoc.Para(head)}, pandoc.Attr('', {'query'})))
    end
  end
  return {pandoc.RawBlock('latex', '{\\footnotesize')} .. blocks .. {pandoc.RawBlock('latex', '}')}
end

function Pandoc(doc)
  doc.blocks = walk_blocks(doc.blocks)
  if is_latex and #entries > 0 then
    -- Before the bibliography when there is one (a div #refs), else at the end.
    local at = #doc.blocks + 1
    for i, b in ipairs(doc.blocks) do
      if b.t == 'Div' and b.identifier == 'refs' then at = i end
      if b.t == 'Header' and b.level == 1 and pandoc.utils.stringify(b.content) == 'References' then at = i end
    end
    local app = latex_appendix()
    for k = #app, 1, -1 do doc.blocks:insert(at, app[k]) end
  end
  return doc
end
