-- ICH triage routing for Orthanc (deploy/orthanc, see its README).
--
-- When a study becomes stable (no new instance for StableAge seconds), its CT series that were not forwarded yet
-- are sent to the ICH triage product over STOW-RS, through the DICOMweb plugin's server "ich" (dicomweb.json: the
-- product's /dicom-web root, its API token as the Basic password). The product analyses the study and sends its
-- result objects (a DICOM SR and a secondary-capture summary image, in new series of the same study) back, over
-- STOW-RS to this Orthanc's /dicom-web or C-STORE to its DICOM port. Those arrivals make the study stable again;
-- they are not CT, and the CT series carry the IchForwarded metadata, so nothing goes to the product twice.

local FORWARD_MODALITY = 'CT'
local SERVER = 'ich'

-- A series is forwarded again only if it has gained instances since (IchForwarded holds the count sent).
local function AlreadyForwarded(seriesId, count)
  local ok, sent = pcall(RestApiGet, '/series/' .. seriesId .. '/metadata/IchForwarded')
  return ok and sent == tostring(count)
end

function OnStableStudy(studyId, tags, metadata)
  local series = ParseJson(RestApiGet('/studies/' .. studyId .. '/series'))
  local resources = {}
  local counts = {}
  for _, s in ipairs(series) do
    local count = #s['Instances']
    if s['MainDicomTags']['Modality'] == FORWARD_MODALITY and not AlreadyForwarded(s['ID'], count) then
      table.insert(resources, s['ID'])
      counts[s['ID']] = count
    end
  end
  if #resources == 0 then
    return
  end
  local body = DumpJson({ Resources = resources, Synchronous = true }, true)
  local ok, answer = pcall(RestApiPost, '/dicom-web/servers/' .. SERVER .. '/stow', body)
  if not ok then
    -- Not marked: the next time the study becomes stable (or an operator's re-send) tries again.
    print('ICH: forwarding study ' .. studyId .. ' failed: ' .. tostring(answer))
    return
  end
  for id, count in pairs(counts) do
    RestApiPut('/series/' .. id .. '/metadata/IchForwarded', tostring(count))
  end
  print('ICH: forwarded ' .. #resources .. ' CT series of study ' .. studyId .. ' to the ICH triage product')
end
