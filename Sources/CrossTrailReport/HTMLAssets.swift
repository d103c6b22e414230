extension HTMLReport {
    /// The page's only stylesheet (allowed by hash in the page's Content-Security-Policy).
    static let style = """
        :root{--fg:#1d2330;--muted:#5b6475;--line:#d9dde5;--bg:#fff;--alt:#f6f7f9;--crit:#7a0019;--high:#c0392b;--med:#d68910;--low:#2e86c1;--info:#7f8c8d;--ok:#1e8449}
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1280px;padding:0 24px 48px}
        h1{font-size:24px;margin:24px 0 8px}h2{font-size:19px;border-bottom:2px solid var(--line);padding-bottom:4px;margin-top:36px}h3{font-size:16px;margin:20px 0 8px}
        code,.mono{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px}
        dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}dl.meta dt,.finding dt{color:var(--muted)}dl.meta dd{margin:0;overflow-wrap:anywhere}
        nav a{margin-right:14px}
        .cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:120px}
        .card .value{font-size:22px;font-weight:600}.card .label{color:var(--muted);font-size:12px}.card.bad .value{color:var(--high)}.card.warn .value{color:var(--med)}
        .charts{display:flex;flex-wrap:wrap;gap:24px}figure{margin:12px 0}figcaption{color:var(--muted);font-size:12px}
        svg.chart{width:100%;max-width:960px;height:auto}svg.chart.bars{width:460px;max-width:100%}svg.chart .axis{font-size:11px;fill:var(--muted)}
        rect.aws{fill:#e67e22}rect.dbx{fill:#2874a6}rect.bar{fill:#5d6d7e}.key{padding:0 6px;color:#fff;border-radius:3px}.key.aws{background:#e67e22}.key.dbx{background:#2874a6}
        rect.sev-critical{fill:var(--crit)}rect.sev-high{fill:var(--high)}rect.sev-medium{fill:var(--med)}rect.sev-low{fill:var(--low)}rect.sev-info{fill:var(--info)}
        table.data{border-collapse:collapse;width:100%;margin:8px 0}table.data th,table.data td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}table.data th{word-break:keep-all}table.timeline td,table.mono td{overflow-wrap:anywhere}
        table.data th{background:var(--alt);position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td.nowrap{white-space:nowrap}.print-only{display:none}td.warn,p.warn{color:var(--med)}
        table.timeline td{font-size:12px}table.controls ul{margin:0;padding-left:16px}
        .badge{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px;font-weight:600;text-transform:uppercase}
        .badge.sev-critical{background:var(--crit)}.badge.sev-high{background:var(--high)}.badge.sev-medium{background:var(--med)}.badge.sev-low{background:var(--low)}.badge.sev-info{background:var(--info)}
        .badge.status{background:var(--muted)}.badge.st-satisfied{background:var(--ok)}.badge.st-not-satisfied{background:var(--high)}.badge.st-insufficient-evidence{background:var(--med)}.badge.st-not-assessed{background:var(--info)}ul.reasons{margin:2px 0 0;padding-left:14px}
        h3.sev-critical{color:var(--crit)}h3.sev-high{color:var(--high)}h3.sev-medium{color:var(--med)}h3.sev-low{color:var(--low)}
        details.finding{border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:6px 10px}details.finding summary{cursor:pointer;overflow-wrap:anywhere}
        .finding dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}.finding dd{margin:0;overflow-wrap:anywhere}
        p.label{color:var(--muted);margin:8px 0 2px}ol.chain li,.events{overflow-wrap:anywhere}a.event{font-family:"DejaVu Sans Mono",monospace;font-size:12px}
        .filters{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin:8px 0}
        #graph svg{width:100%;max-width:960px;height:auto;border:1px solid var(--line);border-radius:6px}#graph text{font-size:11px}
        #graph line{stroke:#95a5a6}#graph line.time-window{stroke-dasharray:4 3}#graph line.ambiguous{stroke-dasharray:1 3}
        #graph circle{fill:#5d6d7e}#graph circle.person{fill:#1e8449}#graph circle.d1{fill:#2874a6}
        footer{margin-top:40px;color:var(--muted);border-top:1px solid var(--line)}
        @media print{.no-print{display:none}.print-only{display:block}body{max-width:none;padding:0}table.data th{position:static}details.finding{break-inside:avoid}}
        """

    /// The page's only script: timeline filtering and paging, the person graph, and links from
    /// evidence to the timeline. It writes log strings with textContent only, never as markup.
    static let script = """
        (function(){'use strict';
        var data=JSON.parse(document.getElementById('data').textContent);
        var rows=data.rows,view=rows,page=0,size=100;
        var tbody=document.getElementById('rows'),q=document.getElementById('q'),plane=document.getElementById('plane'),fail=document.getElementById('failures'),pageLabel=document.getElementById('page');
        function cell(tr,text){var td=document.createElement('td');td.textContent=text;tr.appendChild(td);}
        function draw(){
          while(tbody.firstChild){tbody.removeChild(tbody.firstChild);}
          var pages=Math.max(1,Math.ceil(view.length/size));if(page>=pages){page=pages-1;}
          var frag=document.createDocumentFragment();
          for(var i=page*size;i<Math.min(view.length,(page+1)*size);i++){var r=view[i],tr=document.createElement('tr');for(var k=0;k<r.length;k++){cell(tr,r[k]);}frag.appendChild(tr);}
          tbody.appendChild(frag);
          pageLabel.textContent='page '+(page+1)+' of '+pages+' ('+view.length+' of '+rows.length+' events)';
        }
        function filter(){
          var t=q.value.toLowerCase(),p=plane.value,f=fail.checked;
          view=rows.filter(function(r){
            if(p&&r[1]!==p){return false;}
            if(f&&r[7].indexOf('failure')!==0){return false;}
            if(!t){return true;}
            for(var k=0;k<r.length;k++){if(r[k].toLowerCase().indexOf(t)>=0){return true;}}
            return false;});
          page=0;draw();
        }
        q.addEventListener('input',filter);plane.addEventListener('change',filter);fail.addEventListener('change',filter);
        document.getElementById('prev').addEventListener('click',function(){if(page>0){page--;draw();}});
        document.getElementById('next').addEventListener('click',function(){page++;draw();});
        document.addEventListener('click',function(e){
          var a=e.target.closest?e.target.closest('a.event'):null;
          if(a){q.value=a.getAttribute('data-event');filter();}
        });
        var sel=document.getElementById('person'),svgNS='http://www.w3.org/2000/svg';
        function person(){
          var box=document.getElementById('graph'),links=document.querySelector('#graph-links tbody');
          while(box.firstChild){box.removeChild(box.firstChild);}while(links.firstChild){links.removeChild(links.firstChild);}
          var g=data.people[Number(sel.value)];if(!g){return;}
          var W=960,H=520,cx=W/2,cy=H/2,pos={},byDepth={};
          g.nodes.forEach(function(n){(byDepth[n[3]]=byDepth[n[3]]||[]).push(n);});
          Object.keys(byDepth).forEach(function(d){var list=byDepth[d];list.forEach(function(n,i){
            var r=d*75,a=2*Math.PI*i/list.length+d*0.4;pos[n[0]]={x:cx+r*1.6*Math.cos(a),y:cy+r*Math.sin(a),n:n};});});
          var svg=document.createElementNS(svgNS,'svg');svg.setAttribute('viewBox','0 0 '+W+' '+H);
          g.links.forEach(function(l){var a=pos[l[0]],b=pos[l[1]];if(!a||!b){return;}
            var line=document.createElementNS(svgNS,'line');line.setAttribute('x1',a.x);line.setAttribute('y1',a.y);line.setAttribute('x2',b.x);line.setAttribute('y2',b.y);
            line.setAttribute('class',l[3]);var t=document.createElementNS(svgNS,'title');t.textContent=l[2]+' ('+l[3]+')';line.appendChild(t);svg.appendChild(line);
            var tr=document.createElement('tr');cell(tr,a.n[2]+' ['+a.n[1]+']');cell(tr,l[2]);cell(tr,b.n[2]+' ['+b.n[1]+']');cell(tr,l[3]);links.appendChild(tr);});
          Object.keys(pos).forEach(function(id){var p=pos[id],c=document.createElementNS(svgNS,'circle');c.setAttribute('cx',p.x);c.setAttribute('cy',p.y);c.setAttribute('r',p.n[3]===0?9:6);
            c.setAttribute('class',p.n[1]==='person'?'person':'d'+p.n[3]);svg.appendChild(c);
            var t=document.createElementNS(svgNS,'text');t.setAttribute('x',p.x+10);t.setAttribute('y',p.y+4);t.textContent=p.n[2]+' ['+p.n[1]+']';svg.appendChild(t);});
          box.appendChild(svg);
          if(g.truncated){var note=document.createElement('p');note.textContent='More identities are linked than shown here; see crosstrail whois.';box.appendChild(note);}
        }
        if(sel){sel.addEventListener('change',person);person();}
        var status=document.getElementById('status');
        if(status){status.addEventListener('change',function(){var v=status.value;
          document.querySelectorAll('table.controls tr[data-status]').forEach(function(tr){tr.style.display=(!v||tr.getAttribute('data-status')===v)?'':'none';});});}
        window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});});
        filter();
        document.body.setAttribute('data-ready','1');
        })();
        """
}
