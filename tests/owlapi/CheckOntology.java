import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.RDFXMLDocumentFormat;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.io.OWLOntologyLoaderMetaData;
import org.semanticweb.owlapi.model.EntityType;
import org.semanticweb.owlapi.model.IRI;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLEntity;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyID;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.model.parameters.Imports;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;

/**
 * Loads an RDF/XML ontology with the OWL API (the library Protégé is built on) and
 * reports what a tolerant RDF parser accepts but OWL tools drop, guess or reject.
 *
 * Usage: java -cp CLASSPATH CheckOntology FILE.owl
 * Prints one line per problem, then a JSON summary as the last line of stdout.
 * Exit: 0 = clean, 1 = problems found, 2 = file could not be loaded / checked.
 *
 * Written against OWL API 5.1.20 (Debian 12 libowlapi-java); needs the slf4j-jdk14
 * binding on the classpath (see owlapi_classpath.sh).
 */
public class CheckOntology {
    /** Namespace of the placeholder entities the OWL API invents for malformed RDF. */
    private static final String ERROR_NS = "http://org.semanticweb.owlapi/error#";
    private static final String UNPARSED_PREFIX = "Unparsed triple: ";

    private static final List<String> unparsedLogged = new ArrayList<>();
    private static final List<String> parserProblems = new ArrayList<>();
    /** Strong reference: java.util.logging forgets the level/handler of a GC'd logger. */
    private static Logger owlapiLogger;

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: CheckOntology FILE.owl");
            System.exit(2);
        }
        captureParserLog();

        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        // Imports that cannot be fetched must not abort the load (CI has no network),
        // but they are reported, because the DL check would then miss their axioms.
        List<String> missingImports = new ArrayList<>();
        manager.addMissingImportListener(e -> missingImports.add(e.getImportedOntologyURI().toString()));
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration()
            .setStrict(false)
            // Check the ontology as written: by default the loader may "repair"
            // (rewrite) illegally punned declarations, leaving only a log warning.
            .setRepairIllegalPunnings(false)
            .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT)
            .setConnectionTimeout(5000);

        OWLOntology ont;
        try {
            // The format hint makes the OWL API use only its RDF/XML parser, so a
            // broken file gives one clear error instead of one from every syntax.
            ont = manager.loadOntologyFromOntologyDocument(
                new FileDocumentSource(new File(args[0]), new RDFXMLDocumentFormat()), config);
        } catch (Exception e) { // includes parser crashes (NPEs) on some malformed RDF
            System.err.println("LOAD-ERROR: " + e);
            System.out.println("{\"error\": " + json(String.valueOf(e)) + "}");
            System.exit(2);
            return;
        }

        // (1a) Triples the RDF-to-OWL mapping could not turn into an axiom or annotation:
        // they are silently dropped. OWL API 5.1.20's loader metadata misses some of them
        // (e.g. owl:someValuesFrom on a non-restriction), but its parser logs them all.
        Optional<OWLOntologyLoaderMetaData> meta = ont.getFormat().getOntologyLoaderMetaData();
        List<String> unparsedMeta = meta.map(m -> m.getUnparsedTriples().map(Object::toString)
            .sorted().collect(Collectors.toList())).orElseGet(ArrayList::new);
        unparsedMeta.forEach(t -> System.out.println("UNPARSED-TRIPLE (metadata): " + t));
        unparsedLogged.forEach(t -> System.out.println("UNPARSED-TRIPLE (parser log): " + t));
        int unparsed = Math.max(unparsedMeta.size(), unparsedLogged.size());

        // (1b) Malformed constructs (e.g. an owl:Restriction without owl:onProperty) are
        // replaced by placeholder entities in ERROR_NS; the parser also logs warnings
        // (e.g. malformed rdf:List) and errors for them.
        List<String> parseErrors = new ArrayList<>(parserProblems);
        ont.signature().map(ent -> ent.getIRI().toString()).filter(iri -> iri.startsWith(ERROR_NS))
            .sorted().forEach(iri -> parseErrors.add("placeholder entity " + iri));
        parseErrors.forEach(p -> System.out.println("PARSE-ERROR: " + p));

        // (2) OWL 2 DL: undeclared entities, illegal punning, non-simple properties in
        // cardinality restrictions, reserved vocabulary misuse, ... DL reasoners
        // (HermiT, Pellet, ...) may reject or misread such ontologies.
        List<String> violations = new OWL2DLProfile().checkOntology(ont).getViolations().stream()
            .map(Object::toString).collect(Collectors.toList());
        // OWL2DLProfile only sees punning in axioms that *use* an IRI, so an IRI that is
        // merely declared e.g. both owl:ObjectProperty and owl:DatatypeProperty passes it.
        violations.addAll(illegalDeclarationPunning(ont));
        violations.forEach(v -> System.out.println("DL-VIOLATION: " + v));

        missingImports.forEach(iri -> System.out.println("MISSING-IMPORT: " + iri));

        // IRIs that are both a class and an individual (punning: legal in OWL 2 DL, but reported,
        // because an ontology that states its knowledge as class axioms should have none).
        List<String> punned = punnedClassIndividuals(ont);
        punned.forEach(iri -> System.out.println("PUNNED: " + iri));

        // Entities whose type the parser had to guess (informational; an undeclared
        // entity also shows up as a DL violation).
        int guessed = meta.map(m -> m.getGuessedDeclarations().size()).orElse(0);
        OWLOntologyID id = ont.getOntologyID();
        System.out.println("{"
            + "\"ontology_iri\": " + json(id.getOntologyIRI().map(IRI::toString).orElse(null))
            + ", \"version_iri\": " + json(id.getVersionIRI().map(IRI::toString).orElse(null))
            + ", \"axioms\": " + ont.getAxiomCount()
            + ", \"logical_axioms\": " + ont.getLogicalAxiomCount()
            + ", \"triples\": " + meta.map(OWLOntologyLoaderMetaData::getTripleCount).orElse(-1)
            + ", \"unparsed_triples\": " + unparsed
            + ", \"parse_errors\": " + parseErrors.size()
            + ", \"dl_violations\": " + violations.size()
            + ", \"missing_imports\": " + missingImports.size()
            + ", \"guessed_declarations\": " + guessed
            + ", \"punned_class_individuals\": " + punned.size()
            + "}");
        boolean clean = unparsed == 0 && parseErrors.isEmpty() && violations.isEmpty()
            && missingImports.isEmpty();
        System.exit(clean ? 0 : 1);
    }

    /** IRIs used both as a class and as a named individual, sorted. */
    private static List<String> punnedClassIndividuals(OWLOntology ont) {
        Set<IRI> individuals = ont.individualsInSignature(Imports.INCLUDED)
            .map(OWLEntity::getIRI).collect(Collectors.toSet());
        return ont.classesInSignature(Imports.INCLUDED).map(OWLEntity::getIRI)
            .filter(individuals::contains).map(IRI::toString).sorted().collect(Collectors.toList());
    }

    /** IRIs typed as two kinds of property, or as both class and datatype (OWL 2 DL 5.9). */
    private static List<String> illegalDeclarationPunning(OWLOntology ont) {
        Map<IRI, Set<EntityType<?>>> types = ont.signature(Imports.INCLUDED).collect(
            Collectors.groupingBy(OWLEntity::getIRI, TreeMap::new,
                Collectors.mapping(OWLEntity::getEntityType, Collectors.toSet())));
        Set<EntityType<?>> properties = Set.of(
            EntityType.OBJECT_PROPERTY, EntityType.DATA_PROPERTY, EntityType.ANNOTATION_PROPERTY);
        List<String> out = new ArrayList<>();
        types.forEach((iri, ts) -> {
            boolean props = ts.stream().filter(properties::contains).count() > 1;
            boolean classAndDatatype = ts.contains(EntityType.CLASS) && ts.contains(EntityType.DATATYPE);
            if (props || classAndDatatype) {
                out.add("Illegal punning in declarations: " + iri + " is " + ts.stream()
                    .map(EntityType::getName).sorted().collect(Collectors.joining(" + ")));
            }
        });
        return out;
    }

    /**
     * Collects the OWL API's parser log messages in-process. The OWL API logs through
     * SLF4J; with the slf4j-jdk14 binding they reach java.util.logging, where a handler
     * can see them (they still also go to stderr via the default console handler).
     */
    private static void captureParserLog() {
        System.setProperty("java.util.logging.SimpleFormatter.format", "[%4$s] %3$s - %5$s%6$s%n");
        String binding = org.slf4j.LoggerFactory.getILoggerFactory().getClass().getName();
        if (!binding.equals("org.slf4j.impl.JDK14LoggerFactory")) {
            // Without it, unparsed triples missing from the loader metadata go unseen.
            System.err.println("CheckOntology needs slf4j-jdk14 on the classpath, found " + binding);
            System.out.println("{\"error\": \"SLF4J binding is not slf4j-jdk14\"}");
            System.exit(2);
        }
        owlapiLogger = Logger.getLogger("org.semanticweb.owlapi");
        owlapiLogger.setLevel(Level.INFO); // unparsed triples are logged at INFO
        owlapiLogger.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                String msg = String.valueOf(r.getMessage());
                if (msg.startsWith(UNPARSED_PREFIX)) {
                    unparsedLogged.add(msg.substring(UNPARSED_PREFIX.length()));
                } else if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    parserProblems.add(r.getLevel() + " " + r.getLoggerName() + ": " + msg);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
    }

    /** Minimal JSON string encoder (no JSON library on the OWL API classpath). */
    private static String json(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
